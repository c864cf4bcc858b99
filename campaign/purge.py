"""The local purge of a found child's material, after the withdrawal's grace period.

What goes (see ``design/reliability.md``, "What is purged locally"): in every build folder the
case's folder ``DIR/<case_id>/`` (renditions, banner embed files, alert files), the gallery
thumbnails of its renditions, its entries in ``manifest.json`` (renditions, ``cases`` entry,
problems), the gallery ``index.html`` (regenerated from the rewritten manifest) and its lines
in the validation report; in every outbox the Maildir messages that carry the case (a digest
goes whole), the partner and print copies in a folder named by its ``case_ref``; the photo
cache entries of its photos; in the state database the free pages (``secure_delete`` and a
``VACUUM``). The landing pages (``pages/``, which hold only the neutral closed page), the
print tickets (``case_ref`` and digests only) and the approvals (the audit) stay.

The user's own input files (the cases file, the photos) are never deleted here: they are
named in :attr:`PurgeResult.left_for_a_person`. A purge is idempotent: a second call finds
nothing to do. :func:`leftovers` proves it: every file still holding a byte sequence of the
child's material.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign import photos, preview
from campaign.purgefiles import absolute, files_under, inside, json_list, read_json
from campaign.state import State
from campaign.store import replace_file

MANIFEST = "manifest.json"
VALIDATION_TEXT = "validation.txt"
VALIDATION_JSON = "validation.json"
MAILDIR_PARTS = ("new", "cur", "tmp")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
# Temporary files of an interrupted atomic write in a build folder's root (``.NAME.XXXXXX``).
_ROOT_TEMPORARIES = (MANIFEST, preview.GALLERY, VALIDATION_TEXT, VALIDATION_JSON)


@dataclass
class PurgeResult:
    removed: list[str] = field(default_factory=list)  # files and folders deleted
    rewritten: list[str] = field(default_factory=list)  # files rewritten without the case
    left_for_a_person: list[str] = field(default_factory=list)  # the user's own inputs


@dataclass(frozen=True)
class _Case:
    """What identifies the case in local files: its ids and the names the manifests knew."""

    case_id: str
    case_ref: str
    names: tuple[str, ...]

    def _words(self) -> list[str]:
        return [word for word in (self.case_id, self.case_ref, *self.names) if word]

    def mentioned_in(self, text: str) -> bool:
        """A mention not inside a longer word (``DEMO-1`` is not found in ``DEMO-10``, but
        ``REF`` is in ``banner-REF@host``)."""
        return _pattern(self._words()).search(text) is not None

    def found_in(self, data: bytes) -> bool:
        """A whole-word mention in UTF-8 bytes."""
        return _byte_pattern(self._words()).search(data) is not None


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _byte_pattern(words: Sequence[str]) -> re.Pattern[bytes]:
    alternatives = b"|".join(re.escape(word.encode("utf-8")) for word in words)
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + alternatives + rb")(?![A-Za-z0-9_])")


def purge_case(
    case_id: str,
    case_ref: str,
    *,
    build_dirs: Sequence[Path],
    outbox_dirs: Sequence[Path],
    photo_cache: Path | None,
    photo_shas: Sequence[str],
    inputs: Sequence[Path],
    state: State | None,
) -> PurgeResult:
    """Delete every local copy of the case's material (see the module docstring); raise
    ValueError for an id outside the allowlist or a photo hash that is not a SHA-256."""
    for label, value in (("case id", case_id), ("case reference", case_ref)):
        if not ID_PATTERN.fullmatch(value):
            raise ValueError(f"purge: unsafe {label} {value!r}")
    for sha in photo_shas:
        if not _DIGEST.fullmatch(sha):
            raise ValueError(f"purge: not a lowercase hex SHA-256: {sha!r}")
    result = PurgeResult()
    protected = {absolute(path) for path in inputs}
    builds = [Path(folder) for folder in build_dirs if Path(folder).is_dir()]
    names = tuple(dict.fromkeys(name for root in builds for name in _names(root, case_id)))
    case = _Case(case_id, case_ref, names)
    for root in builds:
        _purge_build(root, case, result, protected)
    for root in outbox_dirs:
        if Path(root).is_dir():
            _purge_outbox(Path(root), case, result, protected)
    if photo_cache is not None and photo_cache.is_dir():
        _purge_photos(photo_cache, photo_shas, result, protected)
    if state is not None:
        vacuum(state)
    result.left_for_a_person = [str(path) for path in inputs if Path(path).exists()]
    return result


def vacuum(state: State) -> None:
    """Overwrite the free pages of the state database: ``secure_delete`` on, ``VACUUM`` (not in
    a transaction), then a truncating checkpoint so the WAL keeps no copy of old pages."""
    state.query("PRAGMA secure_delete = ON")
    state.query("VACUUM")
    state.query("PRAGMA wal_checkpoint(TRUNCATE)")


def leftovers(roots: Sequence[Path], needles: Sequence[bytes]) -> list[str]:
    """Every file under ``roots`` (symbolic links not followed) whose bytes contain any of
    ``needles`` (empty needles are ignored), sorted."""
    wanted = [needle for needle in needles if needle]
    found: set[str] = set()
    if not wanted:
        return []
    for root in roots:
        for path in files_under(Path(root)):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(needle in data for needle in wanted):
                found.add(str(path))
    return sorted(found)


# --- build folders ------------------------------------------------------------------------


def _purge_build(root: Path, case: _Case, result: PurgeResult, protected: set[Path]) -> None:
    base = root.resolve()
    manifest = read_json(root / MANIFEST)
    renditions = json_list(manifest, "renditions")
    ours = [item for item in renditions if item.get("case_id") == case.case_id]
    _remove(base, root / case.case_id, result, protected)
    kept_shas = {
        str(item.get("sha256")) for item in renditions if item.get("case_id") != case.case_id
    }
    for item in ours:
        sha = str(item.get("sha256", ""))
        if _DIGEST.fullmatch(sha) and sha not in kept_shas:
            _remove(base, root / preview.THUMBS / f"{sha}.png", result, protected)
    changed = False
    if manifest is not None:
        changed = _rewrite_manifest(root, manifest, case, result, protected)
    elif (root / MANIFEST).is_file() and _holds(root / MANIFEST, case):
        _remove(base, root / MANIFEST, result, protected)  # unreadable, and it names the case
    gallery = root / preview.GALLERY
    if gallery.is_file() and (changed or _holds(gallery, case)):
        _rewrite_gallery(root, result, protected)
    _rewrite_validation(root, case, result, protected)
    for path in sorted(root.iterdir()):
        if (
            path.is_file()
            and path.name.startswith(tuple(f".{name}." for name in _ROOT_TEMPORARIES))
            and _holds(path, case)
        ):
            _remove(base, path, result, protected)


def _names(root: Path, case_id: str) -> list[str]:
    """The names under which the build in ``root`` knew the case (its ``cases`` entries)."""
    manifest = read_json(root / MANIFEST)
    return [
        str(item["name"])
        for item in json_list(manifest, "cases")
        if item.get("case_id") == case_id and isinstance(item.get("name"), str) and item["name"]
    ]


def _rewrite_manifest(
    root: Path,
    manifest: dict[str, Any],
    case: _Case,
    result: PurgeResult,
    protected: set[Path],
) -> bool:
    """Write the manifest without the case; True when it changed."""
    data = dict(manifest)
    for key in ("renditions", "cases"):
        if isinstance(data.get(key), list):
            data[key] = [
                item
                for item in data[key]
                if not (isinstance(item, dict) and item.get("case_id") == case.case_id)
            ]
    if isinstance(data.get("problems"), list):
        data["problems"] = [
            problem
            for problem in data["problems"]
            if not (isinstance(problem, dict) and _problem_of(problem, case))
        ]
    if data == manifest:
        return False
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    _write(root.resolve(), root / MANIFEST, text.encode("utf-8"), result, protected)
    return True


def _problem_of(problem: Mapping[str, Any], case: _Case) -> bool:
    """A problem of the case, or one whose text names it (e.g. another case's duplicate)."""
    if problem.get("case_id") == case.case_id:
        return True
    return any(isinstance(value, str) and case.mentioned_in(value) for value in problem.values())


def _rewrite_gallery(root: Path, result: PurgeResult, protected: set[Path]) -> None:
    """Write the gallery again from the rewritten manifest; if it cannot be, remove it."""
    gallery = root / preview.GALLERY
    if absolute(gallery) in protected:
        return
    manifest = read_json(root / MANIFEST)
    try:
        if manifest is None:
            raise ValueError("no readable manifest")
        preview.write_gallery(root, manifest)
    except Exception:  # noqa: BLE001 - any failure: the stale gallery must not stay
        _remove(root.resolve(), gallery, result, protected)
        return
    result.rewritten.append(str(gallery))


def _rewrite_validation(root: Path, case: _Case, result: PurgeResult, protected: set[Path]) -> None:
    """Drop the lines (text) and entries (JSON) of the validation report naming the case."""
    base = root.resolve()
    text_path = root / VALIDATION_TEXT
    if text_path.is_file() and _holds(text_path, case):
        text = text_path.read_text(encoding="utf-8", errors="replace")
        lines = [line for line in text.splitlines(keepends=True) if not case.mentioned_in(line)]
        _write(base, text_path, "".join(lines).encode("utf-8"), result, protected)
    json_path = root / VALIDATION_JSON
    if not (json_path.is_file() and _holds(json_path, case)):
        return
    data = read_json(json_path)
    if data is not None:
        data = dict(data)
        if isinstance(data.get("ready"), list):
            data["ready"] = [
                item
                for item in data["ready"]
                if not (isinstance(item, dict) and case.mentioned_in(json.dumps(item)))
                and not (isinstance(item, str) and case.mentioned_in(item))
            ]
        if isinstance(data.get("problems"), list):
            data["problems"] = [
                item
                for item in data["problems"]
                if not (isinstance(item, dict) and _problem_of(item, case))
            ]
        blob = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        if not case.found_in(blob):
            _write(base, json_path, blob, result, protected)
            return
    _remove(base, json_path, result, protected)  # unreadable, or it names the case elsewhere


# --- outboxes -----------------------------------------------------------------------------


def _purge_outbox(root: Path, case: _Case, result: PurgeResult, protected: set[Path]) -> None:
    base = root.resolve()
    for part in MAILDIR_PARTS:
        folder = root / part
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.is_symlink() and _carries(path, case):
                _remove(base, path, result, protected)
    for pattern in ("partners/*", "print/*/*"):
        for folder in sorted(root.glob(pattern)):
            if folder.is_dir() and not folder.is_symlink():
                _remove(base, folder / case.case_ref, result, protected)


def _carries(path: Path, case: _Case) -> bool:
    """A message (or a part file) holding the case: its reference or a name in its bytes, or
    in a decoded header or text part (base64 or quoted-printable bodies). A closure notice —
    text only, the reference alone, no name — is the record of the withdrawal and stays."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if _is_notice(data, case):
        return False
    if case.found_in(data):
        return True
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        texts: list[str] = [str(value) for value in message.values()]
        for part in message.walk():
            texts += [str(value) for value in part.values()]
            if part.get_content_maintype() == "text":
                texts.append(str(part.get_content()))
    except Exception:  # noqa: BLE001 - not a parseable message: its bytes were checked
        return False
    return any(case.mentioned_in(text) for text in texts)


def _is_notice(data: bytes, case: _Case) -> bool:
    named = _Case(case.case_id, "", case.names)
    if named.found_in(data):
        return False
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception:  # noqa: BLE001 - not a message
        return False
    if message.get("List-Unsubscribe") or case.case_ref not in str(message.get("Subject", "")):
        return False  # appeals carry unsubscribe links; notices name the reference in Subject
    return all(part.get_content_maintype() in ("text", "multipart") for part in message.walk())


# --- photo cache --------------------------------------------------------------------------


def _purge_photos(
    folder: Path, shas: Iterable[str], result: PurgeResult, protected: set[Path]
) -> None:
    base = folder.resolve()
    for sha in shas:
        entry = photos._entry(folder, sha)
        _remove(base, entry, result, protected)
        for temporary in sorted(folder.glob(f".{entry.name}.*")):  # an interrupted write
            _remove(base, temporary, result, protected)


# --- helpers ------------------------------------------------------------------------------


def _holds(path: Path, case: _Case) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return case.found_in(data)


def _remove(base: Path, path: Path, result: PurgeResult, protected: set[Path]) -> None:
    """Delete a file, a link or a folder tree inside ``base``, sparing the user's inputs."""
    if not (path.exists() or path.is_symlink()):
        return
    if not inside(base, path):
        raise ValueError(f"purge: {path} is outside {base}")
    if path.is_symlink() or not path.is_dir():
        if absolute(path) in protected and not path.is_symlink():
            return
        path.unlink(missing_ok=True)
    elif any(item.is_relative_to(absolute(path)) for item in protected):
        for child in sorted(path.iterdir()):
            _remove(base, child, result, protected)
        with contextlib.suppress(OSError):  # not empty: it holds an input
            path.rmdir()
        if path.exists():
            return
    else:
        shutil.rmtree(path)
    result.removed.append(str(path))


def _write(base: Path, path: Path, data: bytes, result: PurgeResult, protected: set[Path]) -> None:
    """Replace ``path`` (inside ``base``) atomically with ``data``."""
    if not inside(base, path):
        raise ValueError(f"purge: {path} is outside {base}")
    if absolute(path) in protected:
        return
    replace_file(path, data, durable=True)
    result.rewritten.append(str(path))
