"""Every check of docs/case-record.md, through the loader as users reach it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from campaign.cases import LoadResult, load_cases
from campaign.errors import UsageError
from campaign.models import AgeRange, Category, PartialDate, Sex
from campaign.problems import Severity
from tests.conftest import AS_OF, GOOD, make_jpeg


def load(path: Path, **kwargs: object) -> LoadResult:
    return load_cases(path, lambda case_id: "REF0-0000", AS_OF, **kwargs)  # type: ignore[arg-type]


def errors(result: LoadResult) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.field, p.code) for p in result.problems if p.severity is Severity.ERROR]


def test_a_good_record_becomes_a_case(write_cases: Callable[..., Path]) -> None:
    path = write_cases(
        {
            "sex": "Female",
            "date_of_birth": "2014-05-02",
            "height_cm": "141",
            "hair": "brown",
            "eyes": "green",
            "category": "endangered",
            "missing_since": "2026-03-01T18:30",
            "locales": "es en",
            "description_es": "Lleva gafas.",
            "alternate_names": "Anita; Nana",
        }
    )
    result = load(path)
    assert result.problems == []
    (case,) = result.cases
    assert case.sex is Sex.FEMALE and case.category is Category.ENDANGERED
    assert case.date_of_birth == PartialDate(2014, 5, 2)
    assert case.missing_since.isoformat() == "2026-03-01T18:30:00"
    assert case.locales == ("es", "en") and case.alternate_names == ("Anita", "Nana")
    assert case.description_in("es") == "Lleva gafas."
    assert case.photo == path.parent.resolve() / "photos" / "ok.jpg"
    assert case.origin.line == 2 and case.case_ref == "REF0-0000"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"case_id": "bad id!"}, "case_id", "case-id-invalid"),
        ({"case_id": "-lead"}, "case_id", "case-id-invalid"),
        ({"case_id": "x" * 65}, "case_id", "case-id-invalid"),
        ({"missing_since": "2026-02-30"}, "missing_since", "date-invalid"),
        ({"missing_since": "01/03/2026"}, "missing_since", "date-invalid"),
        ({"missing_since": "2026-11-29"}, "missing_since", "date-future"),
        ({"missing_country": "XX"}, "missing_country", "country-invalid"),
        ({"missing_country": "MEX"}, "missing_country", "country-invalid"),
        ({"missing_region_code": "MX-ZZZ"}, "missing_region_code", "region-invalid"),
        ({"missing_region_code": "US-TX"}, "missing_region_code", "region-country"),
        ({"sex": "f"}, "sex", "choice-invalid"),
        ({"hair": "purple"}, "hair", "choice-invalid"),
        ({"eyes": "violet"}, "eyes", "choice-invalid"),
        ({"category": "lost"}, "category", "choice-invalid"),
        ({"publicity": "secret"}, "publicity", "choice-invalid"),
        ({"status": "closed"}, "status", "choice-invalid"),
        ({"height_cm": "400"}, "height_cm", "out-of-range"),
        ({"weight_kg": "heavy"}, "weight_kg", "number-invalid"),
        ({"weight_kg": "nan"}, "weight_kg", "number-invalid"),
        ({"lat": "91", "lon": "0"}, "lat", "out-of-range"),
        ({"lat": "10"}, "lon", "latlon-pair"),
        ({"age_at_missing": "-3"}, "age_at_missing", "number-invalid"),
        ({"date_of_birth": "2026-04-01"}, "date_of_birth", "date-order"),
        ({"review_by": "soon"}, "review_by", "date-invalid"),
        ({"locales": "es !!"}, "locales", "locale-invalid"),
        ({"source_locale": "en es"}, "source_locale", "locale-invalid"),
        ({"age_progressed_to": "15"}, "age_progressed_to", "age-progression-pair"),
        ({"photo": "../outside.jpg"}, "photo", "photo-outside"),
        ({"photo": "/etc/passwd"}, "photo", "photo-outside"),
        ({"photo": "photos/none.jpg"}, "photo", "photo-missing"),
        ({"photo": "http://example.org/a.jpg"}, "photo", "photo-url-scheme"),
        ({"photo": "file:///etc/passwd"}, "photo", "photo-url-scheme"),
        ({"given_name": "Ana\r\nBcc: x@example.org"}, "given_name", "control-character"),
        ({"family_name": "Ej\x00emplo"}, "family_name", "control-character"),
        ({"contact_phone": "555\u2028123"}, "contact_phone", "control-character"),
        ({"authority_ref": "A\x85B"}, "authority_ref", "control-character"),
        ({"description": "bell\x07"}, "description", "control-character"),
        ({"guardian_phone": "555\n0100"}, "guardian_phone", "control-character"),
    ],
)
def test_each_bad_field_is_named(
    write_cases: Callable[..., Path], change: dict[str, str], field: str, code: str
) -> None:
    result = load(write_cases(change))
    assert (2, field, code) in errors(result)
    assert result.cases == []


def test_free_text_keeps_tabs_and_line_breaks(write_cases: Callable[..., Path]) -> None:
    result = load(write_cases({"description": "line one\r\n\tline two", "clothing": "red\tcoat"}))
    (case,) = result.cases
    assert case.description == "line one\n\tline two"


@pytest.mark.parametrize(
    "name", ["case_id", "missing_since", "missing_country", "photo", "authority_ref", "consent"]
)
def test_required_fields(write_cases: Callable[..., Path], name: str) -> None:
    result = load(write_cases({name: ""}))
    assert (2, name, "required") in errors(result)


def test_a_name_is_required(write_cases: Callable[..., Path]) -> None:
    result = load(write_cases({"given_name": "", "family_name": "", "full_name": "王小明"}))
    assert (2, "given_name", "required") in errors(result)


def test_duplicate_ids_name_the_first_line(write_cases: Callable[..., Path]) -> None:
    result = load(write_cases({}, {"given_name": "Other"}))
    assert len(result.cases) == 1
    (problem,) = [p for p in result.problems if p.code == "duplicate-id"]
    assert problem.line == 3 and "line 2" in problem.message


def test_unknown_column_is_an_error_once_with_a_hint(write_cases: Callable[..., Path]) -> None:
    result = load(write_cases({"missing_sinc": "2026-01-01"}, {"case_id": "T-2"}))
    unknown = [p for p in result.problems if p.code == "unknown-field"]
    assert len(unknown) == 1
    assert unknown[0].line == 1 and "did you mean 'missing_since'" in unknown[0].message
    assert len(result.cases) == 2 and result.has_errors()
    ignored = load(write_cases({"crm_id": "5"}), ignore=["crm_id"])
    assert ignored.problems == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"consent": "no"}, "no-consent"),
        ({"consent": "pending"}, "no-consent"),
        ({"publicity": "none"}, "publicity-none"),
        ({"status": "resolved"}, "resolved"),
        ({"review_by": "2026-11-27"}, "review-date-passed"),
    ],
)
def test_gates_keep_valid_cases_out_of_publication(
    write_cases: Callable[..., Path], change: dict[str, str], code: str
) -> None:
    result = load(write_cases(change))
    assert [p.code for p in result.problems] == [code]
    assert result.problems[0].severity is Severity.GATED
    assert len(result.cases) == 1 and result.publishable == []
    assert not result.has_errors()


def test_review_date_today_is_not_passed(write_cases: Callable[..., Path]) -> None:
    assert load(write_cases({"review_by": "2026-11-28"})).problems == []


def test_private_fields_are_kept_apart(write_cases: Callable[..., Path]) -> None:
    path = write_cases(
        {
            "home_address": "1 Fictional Way",
            "school": "Example School",
            "guardian_phone": "555-0100",
            "medical_notes": "asthma",
        }
    )
    result = load(path)
    (case,) = result.cases
    private = result.private[case.case_id]
    assert private.get("home_address") == "1 Fictional Way"
    assert "1 Fictional Way" not in repr(private) and "555-0100" not in str(private)
    case_text = repr(case) + str(vars(case))
    for secret in ("Fictional Way", "Example School", "555-0100", "asthma"):
        assert secret not in case_text
    assert not hasattr(case, "home_address")


def test_errors_never_echo_private_values(write_cases: Callable[..., Path]) -> None:
    result = load(write_cases({"guardian_phone": "555\x000199 private"}))
    assert all("private" not in p.message for p in result.problems)


def test_mixed_file_names_every_bad_row_and_keeps_good(case_dir: Path) -> None:
    rows = [
        GOOD,
        {**GOOD, "case_id": "T-2", "missing_since": "2030-01-01"},
        {**GOOD, "case_id": "T-3"},
        {**GOOD, "case_id": "T 4"},
        {**GOOD, "case_id": "T-5", "consent": "no"},
    ]
    from tests.conftest import csv_text

    path = case_dir / "mixed.csv"
    path.write_text(csv_text(rows))
    result = load(path)
    assert sorted(c.case_id for c in result.cases) == ["T-001", "T-3", "T-5"]
    assert {line for line, _, _ in errors(result)} == {3, 5}
    assert [c.case_id for c in result.publishable] == ["T-001", "T-3"]


def test_json_and_jsonl_go_through_the_same_checks(case_dir: Path) -> None:
    rows = [GOOD, {**GOOD, "case_id": "J-2", "missing_country": "ZZ"}]
    array = case_dir / "cases.json"
    array.write_text(json.dumps(rows, indent=1))
    lines = case_dir / "cases.jsonl"
    lines.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    for path, bad_line in ((array, 12), (lines, 2)):
        result = load(path)
        assert [c.case_id for c in result.cases] == ["T-001"]
        assert errors(result) == [(bad_line, "missing_country", "country-invalid")]


def test_set_supplies_missing_fields_only(case_dir: Path) -> None:
    path = case_dir / "c.json"
    path.write_text(
        json.dumps(
            [
                {k: v for k, v in GOOD.items() if k != "missing_country"},
                {**GOOD, "case_id": "T-2", "missing_country": "AR"},
            ]
        )
    )
    result = load(path, defaults={"missing_country": "MX"})
    assert [c.missing_country for c in result.cases] == ["MX", "AR"]
    with pytest.raises(UsageError, match="not a case-record field"):
        load(path, defaults={"missing_contry": "MX"})


def test_unknown_file_type(case_dir: Path) -> None:
    path = case_dir / "cases.xlsx"
    path.write_text("x")
    with pytest.raises(UsageError, match="unknown cases file type"):
        load(path)


def test_pfif_age_range_and_partial_date_are_kept(case_dir: Path) -> None:
    path = case_dir / "c.jsonl"
    path.write_text(json.dumps({**GOOD, "age_at_missing": "9-11", "date_of_birth": "2015-01"}))
    (case,) = load(path).cases
    assert case.age_at_missing == AgeRange(9, 11) and str(case.age_at_missing) == "9-11"
    assert case.date_of_birth is not None and case.date_of_birth.isoformat() == "2015-01"


def test_photo_symlink_out_of_folder_is_refused(
    case_dir: Path, write_cases: Callable[..., Path]
) -> None:
    outside = make_jpeg(case_dir.parent / "elsewhere" / "x.jpg")
    (case_dir / "photos" / "link.jpg").symlink_to(outside)
    result = load(write_cases({"photo": "photos/link.jpg"}))
    assert (2, "photo", "photo-outside") in errors(result)
