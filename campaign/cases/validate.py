"""A raw record → a checked :class:`Case` (public fields) and its :class:`PrivateFields`,
with every problem found, not just the first."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from campaign.cases import fields as F
from campaign.cases.parse import FieldProblem, ParseContext, parse
from campaign.cases.raw import RawRecord
from campaign.models import Case, Origin, PrivateFields, Publicity, Status
from campaign.problems import Problem, Severity


@dataclass(frozen=True)
class Checked:
    """What validation made of one record: the case (None when rejected) and its problems."""

    case: Case | None
    private: PrivateFields | None
    problems: tuple[Problem, ...]


@dataclass
class _Report:
    record: RawRecord
    case_id: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, severity: Severity, code: str, message: str, name: str | None = None) -> None:
        line = self.record.line_of(name) if name else self.record.line
        self.problems.append(
            Problem(severity, code, message, self.record.file, line, name, self.case_id)
        )

    @property
    def rejected(self) -> bool:
        return any(problem.severity is Severity.ERROR for problem in self.problems)


def unknown_field_problem(name: str, file: str, line: int, case_id: str | None = None) -> Problem:
    """The problem for a column or key that is not a case-record field (with a did-you-mean)."""
    hint = difflib.get_close_matches(name, F.all_names(), n=1)
    maybe = f"; did you mean '{hint[0]}'?" if hint else ""
    return Problem(
        Severity.ERROR,
        "unknown-field",
        f"'{name}' is not a case-record field{maybe} (list extra columns in "
        "campaign.ignore_fields to skip them)",
        file,
        line,
        name,
        case_id,
    )


def check_record(
    record: RawRecord,
    ctx: ParseContext,
    make_ref: Callable[[str], str],
    ignore: frozenset[str] = frozenset(),
) -> Checked:
    """Parse and check every field of ``record``; reject it when any error is found."""
    report = _Report(record, case_id=record.values.get("case_id", "").strip() or None)
    report.problems.extend(record.problems)
    public, private, unknown = _parse_fields(report, ctx, ignore)
    _check_required(report, public)
    _check_consistency(report, public)
    if report.rejected:
        return Checked(None, None, (*unknown, *report.problems))
    case = _make_case(record, public, make_ref)
    _check_gates(report, case, ctx.as_of)
    secret = PrivateFields(case.case_id, tuple(sorted(private.items())))
    # Unknown columns fail the run (exit 1) but do not reject the record: they are about the file.
    return Checked(case, secret, (*unknown, *report.problems))


def _parse_fields(
    report: _Report, ctx: ParseContext, ignore: frozenset[str]
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    public: dict[str, Any] = {}
    private: dict[str, str] = {}
    unknown: list[Problem] = []
    for name, text in report.record.values.items():
        spec = F.spec_for(name)
        if spec is None:
            if name not in ignore:
                line = report.record.line_of(name)
                owner = report.case_id if line == report.record.line else None
                unknown.append(unknown_field_problem(name, report.record.file, line, owner))
            continue
        if not text.strip():
            continue
        try:
            value = parse(spec, text, ctx)
        except FieldProblem as problem:
            report.add(Severity.ERROR, problem.code, str(problem), name)
            continue
        if name in F.PRIVATE_FIELDS:
            private[name] = value
        else:
            public[name] = value
    return public, private, unknown


def _check_required(report: _Report, public: Mapping[str, Any]) -> None:
    raw = report.record.values
    for name in F.REQUIRED:
        if name not in public and not raw.get(name, "").strip():
            report.add(Severity.ERROR, "required", "is required but missing", name)
    if not any(raw.get(name, "").strip() for name in F.NAME_FIELDS):
        report.add(
            Severity.ERROR, "required", "give given_name or family_name (or both)", "given_name"
        )


def _check_consistency(report: _Report, public: Mapping[str, Any]) -> None:
    if ("lat" in public) != ("lon" in public):
        report.add(
            Severity.ERROR,
            "latlon-pair",
            "lat and lon go together: give both or neither",
            "lat" if "lat" not in public else "lon",
        )
    region, country = public.get("missing_region_code"), public.get("missing_country")
    if region and country and not region.startswith(country + "-"):
        report.add(
            Severity.ERROR,
            "region-country",
            f"{region} is not a region of {country}",
            "missing_region_code",
        )
    if ("age_progressed_photo" in public) != ("age_progressed_to" in public):
        report.add(
            Severity.ERROR,
            "age-progression-pair",
            "age_progressed_photo and age_progressed_to go together",
            "age_progressed_to",
        )
    _check_birth(report, public)


def _check_birth(report: _Report, public: Mapping[str, Any]) -> None:
    born, since = public.get("date_of_birth"), public.get("missing_since")
    if born is None or since is None:
        return
    since_day = since.date() if isinstance(since, dt.datetime) else since
    if born.earliest() > since_day:
        report.add(
            Severity.ERROR,
            "date-order",
            f"date of birth {born.isoformat()} is after missing_since {since_day}",
            "date_of_birth",
        )


def _make_case(
    record: RawRecord, public: Mapping[str, Any], make_ref: Callable[[str], str]
) -> Case:
    values = dict(public)
    descriptions = tuple(
        sorted(
            (name[len(F.DESCRIPTION_PREFIX) :], values.pop(name))
            for name in list(values)
            if name.startswith(F.DESCRIPTION_PREFIX)
        )
    )
    case_id = values["case_id"]
    return Case(
        case_ref=make_ref(case_id),
        origin=Origin(record.file, record.line, record.source_id),
        descriptions=descriptions,
        **values,
    )


def _check_gates(report: _Report, case: Case, as_of: dt.date) -> None:
    gates = [
        (
            not case.consent,
            "no-consent",
            "consent",
            "publication is not authorised (consent must be 'yes'); the case is not published",
        ),
        (
            case.publicity is Publicity.NONE,
            "publicity-none",
            "publicity",
            "publicity is 'none': nothing is rendered or sent",
        ),
        (
            case.status is Status.RESOLVED,
            "resolved",
            "status",
            "the case is resolved: it is not published",
        ),
        (
            case.review_by is not None and case.review_by < as_of,
            "review-date-passed",
            "review_by",
            f"review date {case.review_by} has passed: "
            "re-confirm consent and authority, then update it",
        ),
    ]
    for failed, code, name, message in gates:
        if failed:
            report.add(Severity.GATED, code, message, name)
