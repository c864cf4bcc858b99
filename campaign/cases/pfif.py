"""PFIF person records (1.4, also 1.3 and 1.2) as raw case records.

Each ``<pfif:person>`` becomes one :class:`RawRecord` whose ``line`` is the line its start tag
is on. The file is parsed with defusedxml with DTDs forbidden, so no entity is ever expanded
and nothing outside the file is read; such a file, or one that is not well-formed XML, yields
a single error Problem and no records. The full mapping is in ``docs/pfif.md``.

``case_id`` from ``person_record_id``: PFIF ids look like ``domain/local-id``
(``test.google.com/person.21009``), which the case id pattern ``^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$``
does not allow. The transform, applied in file order:

1. take the part after the last ``/`` (``person.21009``);
2. replace every character outside ``A-Z a-z 0-9 _ -`` by ``-`` (``person-21009``);
3. strip leading ``-`` and ``_``;
4. if the result is empty, longer than 64 characters, or equal (ignoring case) to a case id
   already given to an earlier record of the same file, use instead ``pfif-`` followed by the
   first 12 hex digits of the SHA-256 of the whole PFIF id (UTF-8).

The PFIF id itself is kept in ``RawRecord.source_id``, for export.

PFIF has no ``missing_since`` or ``missing_city``: they come from the person's notes (nested in
``<person>``, or top-level notes naming the person's ``person_record_id``). The newest note (by
``source_date``, else ``entry_date``) gives ``missing_since`` (its ``source_date`` in UTC, to
the minute); ``missing_city`` is the ``last_known_location`` of the newest note that has one.
Nothing else is filled in: ``missing_country``, ``authority_ref`` and ``consent`` come from
import options or are reported missing by validation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import xml.etree.ElementTree as ET  # the Element and TreeBuilder types; parsing is defused
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

import defusedxml  # type: ignore[import-untyped]
import defusedxml.ElementTree as DET  # type: ignore[import-untyped]

from campaign.cases.raw import RawRecord, ReaderOutput
from campaign.errors import InputError
from campaign.problems import Problem, Severity

NAMESPACES = ("http://zesty.ca/pfif/1.4", "http://zesty.ca/pfif/1.3", "http://zesty.ca/pfif/1.2")

# PFIF element -> case record field, for the person fields copied as they are.
FIELDS = {
    "given_name": "given_name",
    "first_name": "given_name",  # PFIF 1.2 / 1.3
    "family_name": "family_name",
    "last_name": "family_name",  # PFIF 1.2 / 1.3
    "sex": "sex",
    "date_of_birth": "date_of_birth",
    "age": "age_at_missing",
    "description": "description",
    "photo_url": "photo",
}
HOME_PARTS = (
    "home_street", "home_neighborhood", "home_city", "home_state", "home_postal_code",
    "home_zip", "home_country",
)  # fmt: skip
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_MAX_CASE_ID = 64


def read_pfif(path: Path, display_name: str | None = None) -> ReaderOutput:
    """Yield one RawRecord per PFIF person in ``path``, or one Problem if the file is refused."""
    name = display_name or str(path)
    parsed = _parse(path, name)
    if isinstance(parsed, Problem):
        yield parsed
        return
    root, lines = parsed
    ns = _namespace(root)
    if ns is None:
        yield _file_problem(name, "pfif-namespace", _namespace_message(root), lines.get(root))
        return
    doc = _Document(name, ns, lines, _top_level_notes(root, ns))
    for person in root.findall(f"{{{ns}}}person"):
        yield doc.record(person)


def derive_case_id(record_id: str, taken: set[str]) -> str:
    """The case id for a PFIF ``person_record_id`` (see the module docstring); adds it to
    ``taken``, which holds the case-folded ids already given in this file."""
    local = _UNSAFE_ID_CHARS.sub("-", record_id.rsplit("/", 1)[-1]).lstrip("-_")
    if not local or len(local) > _MAX_CASE_ID or local.casefold() in taken:
        local = "pfif-" + hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:12]
    taken.add(local.casefold())
    return local


# --- parsing -------------------------------------------------------------------------------


class _LineTarget:
    """A tree builder that remembers the line each element starts on."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.lines: dict[ET.Element, int] = {}
        self.expat: Any = None  # the expat parser, set once the XMLParser exists

    def start(self, tag: str, attrib: dict[str, str]) -> ET.Element:
        element = self.builder.start(tag, attrib)
        self.lines[element] = int(self.expat.CurrentLineNumber)
        return element

    def end(self, tag: str) -> ET.Element:
        return self.builder.end(tag)

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> ET.Element:
        return self.builder.close()


def _parse(path: Path, name: str) -> tuple[ET.Element, dict[ET.Element, int]] | Problem:
    target = _LineTarget()
    parser = DET.XMLParser(target=target, forbid_dtd=True)
    target.expat = parser.parser
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 16):
                parser.feed(chunk)
            root: ET.Element = parser.close()
    except OSError as exc:
        raise InputError(f"cannot read the PFIF file: {exc.strerror or exc}", file=name) from exc
    except ET.ParseError as exc:
        line, column = exc.position
        why = f"not well-formed XML: {expat.ErrorString(exc.code)} (column {column + 1})"
        return _file_problem(name, "xml-syntax", why, line)
    except defusedxml.DefusedXmlException as exc:
        why = (
            f"refused: the file declares a DTD or entities ({type(exc).__name__}); PFIF needs none"
        )
        return _file_problem(name, "xml-forbidden", why, int(target.expat.CurrentLineNumber))
    return root, target.lines


def _file_problem(name: str, code: str, message: str, line: int | None) -> Problem:
    return Problem(Severity.ERROR, code, message, file=name, line=line)


def _namespace(root: ET.Element) -> str | None:
    for ns in NAMESPACES:
        if root.tag == f"{{{ns}}}pfif":
            return ns
    return None


def _namespace_message(root: ET.Element) -> str:
    found = root.tag.split("}")[0].lstrip("{") if root.tag.startswith("{") else "no namespace"
    return f"not a PFIF document: root element {root.tag!r} ({found}); expected pfif:pfif in " + (
        " or ".join(NAMESPACES)
    )


def _top_level_notes(root: ET.Element, ns: str) -> dict[str, list[ET.Element]]:
    notes: dict[str, list[ET.Element]] = {}
    for note in root.findall(f"{{{ns}}}note"):
        person_id = _text(note.find(f"{{{ns}}}person_record_id"))
        if person_id:
            notes.setdefault(person_id, []).append(note)
    return notes


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- mapping -------------------------------------------------------------------------------


@dataclass
class _Fields:
    """The values and field lines of one record under construction."""

    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def put(self, name: str, value: str, line: int | None) -> None:
        if value:
            self.values[name] = value
            if line is not None:
                self.lines[name] = line


@dataclass
class _Document:
    name: str
    ns: str
    lines: dict[ET.Element, int]
    notes_by_person: dict[str, list[ET.Element]]
    taken_ids: set[str] = field(default_factory=set)

    def record(self, person: ET.Element) -> RawRecord:
        children = self._children(person)
        out = _Fields()
        source_id = children.get("person_record_id", ("", 0))[0] or None
        if source_id:
            case_id = derive_case_id(source_id, self.taken_ids)
            out.put("case_id", case_id, _line_of_first(children, ("person_record_id",)))
        self._names(children, out)
        for pfif_name, ours in FIELDS.items():
            if pfif_name in children and ours not in out.values:
                out.put(ours, *children[pfif_name])
        address = [" ".join(children[part][0].split()) for part in HOME_PARTS if part in children]
        home_lines = [children[part][1] for part in HOME_PARTS if part in children]
        out.put("home_address", ", ".join(address), min(home_lines, default=None))
        nested = person.findall(f"{{{self.ns}}}note")
        notes = nested + self.notes_by_person.get(source_id or "", [])
        self._from_notes(notes, out)
        return RawRecord(
            self.name, self.lines[person], dict(out.values), dict(out.lines), source_id
        )

    def _children(self, element: ET.Element) -> dict[str, tuple[str, int]]:
        """Local name -> (stripped text, line) of the first non-empty child in the namespace."""
        found: dict[str, tuple[str, int]] = {}
        prefix = f"{{{self.ns}}}"
        for child in element:
            local = child.tag[len(prefix) :] if child.tag.startswith(prefix) else ""
            text = _text(child)
            if local and text and local not in found:
                found[local] = (text, self.lines[child])
        return found

    @staticmethod
    def _names(children: dict[str, tuple[str, int]], out: _Fields) -> None:
        """``full_name`` lines are alternative forms: the first is the name, the rest aliases."""
        full = _lines_of(children.get("full_name", ("", 0))[0])
        alternates = full[1:] + _lines_of(children.get("alternate_names", ("", 0))[0])
        if full:
            out.put("full_name", full[0], children["full_name"][1])
        line = _line_of_first(children, ("alternate_names", "full_name"))
        out.put("alternate_names", ";".join(dict.fromkeys(alternates)), line)

    def _from_notes(self, notes: Iterable[ET.Element], out: _Fields) -> None:
        ranked = sorted(enumerate(notes), key=lambda pair: (_note_time(pair[1], self.ns), pair[0]))
        if not ranked:
            return
        newest = ranked[-1][1]
        since = _text(newest.find(f"{{{self.ns}}}source_date"))
        out.put("missing_since", _minute_utc(since), self.lines[newest])
        for _, note in reversed(ranked):
            location = " ".join(_text(note.find(f"{{{self.ns}}}last_known_location")).split())
            if location:
                out.put("missing_city", location, self.lines[note])
                return


def _line_of_first(children: dict[str, tuple[str, int]], names: tuple[str, ...]) -> int | None:
    return next((children[name][1] for name in names if name in children), None)


_NO_TIME = dt.datetime.min.replace(tzinfo=dt.UTC)


def _note_time(note: ET.Element, ns: str) -> dt.datetime:
    """When a note was written: its ``source_date``, else its ``entry_date``; undated is oldest."""
    for tag in ("source_date", "entry_date"):
        parsed = _parse_time(_text(note.find(f"{{{ns}}}{tag}")))
        if parsed is not None:
            return parsed
    return _NO_TIME


def _parse_time(text: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # PFIF times are UTC
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _minute_utc(text: str) -> str:
    """``2010-01-16T17:32:05Z`` -> ``2010-01-16T17:32``; a bare date stays; other text is kept
    as it is, for validation to report."""
    parsed = _parse_time(text)
    if parsed is None:
        return text
    if "T" not in text and " " not in text.strip():
        return parsed.strftime("%Y-%m-%d")
    return parsed.strftime("%Y-%m-%dT%H:%M")
