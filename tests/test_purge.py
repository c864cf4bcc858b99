"""The local purge of a found child's material: build folders, gallery, outbox, photo cache."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from campaign import preview, report
from campaign.purge import PurgeResult, leftovers, purge_case
from campaign.state import Approval, State, open_state_at
from tests.conftest import DemoBuild

CASE = "DEMO-US-001"
CLOSED_PAGE = b"<!doctype html><title>Closed</title><p>This appeal is closed. Thank you.</p>\n"


def _mail(ref: str, body: str, *, encode_body: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = "campaign@example.org"
    message["To"] = "desk@example.net"
    message["Subject"] = "Missing children: new appeals"
    if encode_body:
        message.set_content(body, cte="base64")
    else:
        message.set_content(body)
    if ref:
        message.add_attachment(
            b"\x89PNG fake",
            maintype="image",
            subtype="png",
            filename=f"{ref}-banner.png",
            cid=f"<banner-{ref}@example.org>",
        )
    return message.as_bytes()


def _tree(root: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``root``."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@dataclass
class Purged:
    build: Path
    outbox: Path
    cache: Path
    state_path: Path
    inputs: list[Path]
    before: dict[str, Any]  # the manifest before the purge
    name: str
    ref: str
    other: str  # another case's id
    other_ref: str
    other_tree: dict[str, str]
    needles: list[bytes]
    result: PurgeResult
    photo_shas: list[str]
    protected_input: Path

    def again(self) -> PurgeResult:
        with open_state_at(self.state_path) as state:
            return self.purge(state)

    def purge(self, state: State | None) -> PurgeResult:
        return purge_case(
            CASE,
            self.ref,
            build_dirs=[self.build, self.build.parent / "no-such-build"],
            outbox_dirs=[self.outbox],
            photo_cache=self.cache,
            photo_shas=self.photo_shas,
            inputs=self.inputs,
            state=state,
        )


@pytest.fixture(scope="module")
def purged(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> Purged:
    base = tmp_path_factory.mktemp("purge")
    build = base / "build"
    shutil.copytree(demo_build.root, build)  # the session build is shared: work on a copy
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    preview.write_gallery(build, manifest)
    report.write_validation(build, Path("cases.csv"), demo_build.loaded)
    entry = next(item for item in manifest["cases"] if item["case_id"] == CASE)
    name, ref = entry["name"], entry["case_ref"]
    other_entry = next(item for item in manifest["cases"] if item["case_id"] != CASE)
    other, other_ref = other_entry["case_id"], other_entry["case_ref"]
    assert name.encode("utf-8") in (build / "index.html").read_bytes()
    assert CASE.encode() in (build / "validation.txt").read_bytes()

    # byte sequences of the case's renditions: none may survive anywhere
    chunks = []
    for item in manifest["renditions"]:
        if item["case_id"] == CASE and item["format"] in ("poster-a4", "social-1080x1080"):
            data = (build / item["path"]).read_bytes()
            chunks.append(data[len(data) // 2 : len(data) // 2 + 64])
    assert len(chunks) >= 2

    outbox = base / "outbox"
    for part in ("new", "cur", "tmp"):
        (outbox / part).mkdir(parents=True)
    (outbox / "new" / "digest-1.eml").write_bytes(_mail(ref, f"Have you seen {name}?"))
    (outbox / "new" / "digest-2.eml").write_bytes(_mail(other_ref, "Have you seen this child?"))
    (outbox / "cur" / "digest-3.eml").write_bytes(
        _mail("", f"Please look for {name} today.", encode_body=True)  # the name only in base64
    )
    (outbox / "tmp" / "job.part").write_bytes(f'{{"case_ref": "{ref}"}}'.encode())
    for folder, data in ((ref, chunks[0]), (other_ref, b"%PDF another case")):
        (outbox / "partners" / "x" / folder).mkdir(parents=True)
        (outbox / "partners" / "x" / folder / "poster.pdf").write_bytes(data)
        (outbox / "print" / "v" / "job" / folder).mkdir(parents=True)
        (outbox / "print" / "v" / "job" / folder / "poster.pdf").write_bytes(data)
    (outbox / "partners" / "x" / "feed.json").write_text(f'{{"items": ["{other_ref}"]}}')
    ticket = f"case_ref,sha256\n{ref},{'a' * 64}\n{other_ref},{'b' * 64}\n"
    (outbox / "print" / "v" / "job" / "ticket.csv").write_text(ticket)
    (outbox / "pages" / ref).mkdir(parents=True)
    (outbox / "pages" / ref / "index.html").write_bytes(CLOSED_PAGE)

    state_dir = base / "state"
    cache = state_dir / "photos"
    cache.mkdir(parents=True)
    shas = [hashlib.sha256(b"photo of the case").hexdigest()]
    other_sha = hashlib.sha256(b"photo of another case").hexdigest()
    (cache / f"{shas[0]}.jpg").write_bytes(b"\xff\xd8 normalised photo " + chunks[1])
    (cache / f"{other_sha}.jpg").write_bytes(b"\xff\xd8 another photo")
    cases_file = base / "inputs" / "cases.csv"
    cases_file.parent.mkdir()
    cases_file.write_text(f"case_id,name\n{CASE},{name}\n", encoding="utf-8")
    # an input the user keeps inside the build folder is named, never deleted
    protected_input = build / CASE / "my-notes.txt"
    protected_input.write_text(f"notes about {name}\n", encoding="utf-8")

    state_path = state_dir / "state.db"
    with open_state_at(state_path) as state:
        approved = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
        state.record_approvals([Approval(ref, "en", "poster-a4", "c" * 64, "Desk", approved)])
        other_tree = _tree(build / other)
        purged = Purged(
            build=build,
            outbox=outbox,
            cache=cache,
            state_path=state_path,
            inputs=[cases_file, protected_input],
            before=manifest,
            name=name,
            ref=ref,
            other=other,
            other_ref=other_ref,
            other_tree=other_tree,
            needles=[
                name.encode("utf-8"),
                name.encode("utf-16-be"),
                CASE.encode("utf-8"),
                *chunks,
            ],
            result=PurgeResult([], [], []),
            photo_shas=shas,
            protected_input=protected_input,
        )
        purged.result = purged.purge(state)
    return purged


def test_nothing_of_the_case_is_left(purged: Purged) -> None:
    roots = [purged.build, purged.outbox, purged.cache]
    assert leftovers(roots, purged.needles) == [str(purged.protected_input)]
    assert not (purged.cache / f"{purged.photo_shas[0]}.jpg").exists()
    # the case_ref stays only in the print ticket (and names the closed landing page's folder)
    remaining = leftovers(roots, [purged.ref.encode()])
    assert remaining == [str(purged.outbox / "print" / "v" / "job" / "ticket.csv")]


def test_the_inputs_are_left_for_a_person(purged: Purged) -> None:
    assert purged.result.left_for_a_person == [str(path) for path in purged.inputs]
    assert all(path.exists() for path in purged.inputs)
    assert not any(str(purged.inputs[0]) in path for path in purged.result.removed)


def test_what_was_removed_and_rewritten(purged: Purged) -> None:
    removed, rewritten = purged.result.removed, purged.result.rewritten
    build, outbox = purged.build, purged.outbox
    assert str(outbox / "new" / "digest-1.eml") in removed
    assert str(outbox / "cur" / "digest-3.eml") in removed  # the name only in a base64 body
    assert str(outbox / "tmp" / "job.part") in removed
    assert str(outbox / "partners" / "x" / purged.ref) in removed
    assert str(outbox / "print" / "v" / "job" / purged.ref) in removed
    assert str(build / CASE / "en") in removed
    assert str(purged.cache / f"{purged.photo_shas[0]}.jpg") in removed
    thumbs = [path for path in removed if "/_thumbs/" in path]
    assert thumbs, "the case's gallery thumbnails are removed"
    for name in ("manifest.json", "index.html", "validation.txt", "validation.json"):
        assert str(build / name) in rewritten


def test_other_cases_are_untouched(purged: Purged) -> None:
    build, outbox = purged.build, purged.outbox
    assert _tree(build / purged.other) == purged.other_tree
    after = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert after["version"] == 1
    assert after["as_of"] == purged.before["as_of"]
    assert after["renditions"] == [r for r in purged.before["renditions"] if r["case_id"] != CASE]
    assert after["cases"] == [c for c in purged.before["cases"] if c["case_id"] != CASE]
    assert after["problems"] == [p for p in purged.before["problems"] if p.get("case_id") != CASE]
    for item in after["renditions"]:
        assert (build / item["path"]).is_file()
    gallery = (build / "index.html").read_text(encoding="utf-8")
    assert purged.name not in gallery and CASE not in gallery
    assert purged.other in gallery
    assert purged.other in (build / "validation.txt").read_text(encoding="utf-8")
    validation = json.loads((build / "validation.json").read_text(encoding="utf-8"))
    assert CASE not in {item["case_id"] for item in validation["ready"]}
    assert purged.other in {item["case_id"] for item in validation["ready"]}
    assert (outbox / "new" / "digest-2.eml").is_file()
    assert (outbox / "partners" / "x" / purged.other_ref / "poster.pdf").is_file()
    assert (outbox / "partners" / "x" / "feed.json").is_file()
    assert (outbox / "print" / "v" / "job" / purged.other_ref / "poster.pdf").is_file()
    assert (purged.cache).is_dir() and len(list(purged.cache.glob("*.jpg"))) == 1


def test_pages_and_approvals_stay(purged: Purged) -> None:
    page = purged.outbox / "pages" / purged.ref / "index.html"
    assert page.read_bytes() == CLOSED_PAGE
    with open_state_at(purged.state_path) as state:
        assert state.query("SELECT case_ref FROM approvals") == [(purged.ref,)]
        assert state.integrity_check() == "ok"
        assert state.query("PRAGMA secure_delete") == [(1,)]


def test_a_second_purge_does_nothing(purged: Purged) -> None:
    gallery = (purged.build / "index.html").read_bytes()
    manifest = (purged.build / "manifest.json").read_bytes()
    again = purged.again()
    assert again.removed == [] and again.rewritten == []
    assert again.left_for_a_person == purged.result.left_for_a_person
    assert (purged.build / "index.html").read_bytes() == gallery
    assert (purged.build / "manifest.json").read_bytes() == manifest


def _mini_build(root: Path, ids: list[str]) -> None:
    """A synthetic build: one file per case, a manifest, a validation report."""
    renditions, cases = [], []
    for number, case_id in enumerate(ids):
        data = f"poster of {case_id}".encode()
        (root / case_id / "en").mkdir(parents=True)
        (root / case_id / "en" / "poster-a4.pdf").write_bytes(data)
        ref = f"REF{number}"
        renditions.append(
            {
                "case_id": case_id,
                "case_ref": ref,
                "locale": "en",
                "format": "poster-a4",
                "path": f"{case_id}/en/poster-a4.pdf",
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
        cases.append({"case_id": case_id, "case_ref": ref, "name": f"Child {number}"})
    problems = [
        {"severity": "warning", "code": "x", "case_id": case_id, "message": "m"} for case_id in ids
    ]
    manifest = {"version": 1, "as_of": "2026-11-28", "renditions": renditions}
    manifest |= {"cases": cases, "problems": problems}
    (root / "manifest.json").write_text(json.dumps(manifest))
    lines = [f"  REF{n}  {case_id}" for n, case_id in enumerate(ids)]
    (root / "validation.txt").write_text("\n".join(lines) + "\n")


def _purge(case_id: str, ref: str, build: Path) -> PurgeResult:
    return purge_case(
        case_id,
        ref,
        build_dirs=[build],
        outbox_dirs=[],
        photo_cache=None,
        photo_shas=[],
        inputs=[],
        state=None,
    )


def test_an_id_is_not_found_inside_a_longer_one(tmp_path: Path) -> None:
    _mini_build(tmp_path, ["T-1", "T-10"])
    _purge("T-1", "REF0", tmp_path)
    assert not (tmp_path / "T-1").exists()
    assert (tmp_path / "T-10" / "en" / "poster-a4.pdf").is_file()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [item["case_id"] for item in manifest["renditions"]] == ["T-10"]
    assert [item["case_id"] for item in manifest["problems"]] == ["T-10"]
    assert (tmp_path / "validation.txt").read_text() == "  REF1  T-10\n"
    assert not (tmp_path / "index.html").exists()  # no gallery was there: none is made


@pytest.mark.parametrize(
    ("case_id", "ref"), [("../etc", "REF0"), ("T-1", "../x"), ("", "REF0"), ("T-1", "a/b")]
)
def test_unsafe_ids_are_refused(tmp_path: Path, case_id: str, ref: str) -> None:
    _mini_build(tmp_path, ["T-1"])
    with pytest.raises(ValueError, match="unsafe"):
        _purge(case_id, ref, tmp_path)
    assert (tmp_path / "T-1").is_dir()


def test_a_bad_photo_hash_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        purge_case(
            "T-1",
            "REF0",
            build_dirs=[],
            outbox_dirs=[],
            photo_cache=tmp_path,
            photo_shas=["../../etc/passwd"],
            inputs=[],
            state=None,
        )


def test_a_linked_case_folder_is_unlinked_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours")
    build = tmp_path / "build"
    build.mkdir()
    (build / "T-1").symlink_to(elsewhere, target_is_directory=True)
    result = _purge("T-1", "REF0", build)
    assert result.removed == [str(build / "T-1")]
    assert (elsewhere / "keep.txt").is_file()


def test_leftovers_ignores_empty_needles(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"hello")
    assert leftovers([tmp_path], [b""]) == []
    assert leftovers([tmp_path], [b"", b"ell"]) == [str(tmp_path / "a.txt")]
    assert leftovers([tmp_path / "missing"], [b"x"]) == []
