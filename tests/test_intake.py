"""The load stage as a whole: cases, then photos and languages, as `validate` runs it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from campaign.config import Config
from campaign.intake import IntakeOptions, intake
from campaign.problems import Severity
from tests.conftest import AS_OF, make_jpeg


def run(path: Path, tmp_path: Path) -> tuple[list[str], list[tuple[int | None, str | None, str]]]:
    config = Config(base_dir=tmp_path, state_dir=tmp_path / ".campaign")
    result = intake(path, config, IntakeOptions(AS_OF, {}))
    problems = [(p.line, p.field, p.code) for p in result.problems]
    return [case.case_id for case in result.cases], problems


def test_hostile_photos_reject_only_their_cases(
    write_cases: Callable[..., Path], case_dir: Path
) -> None:
    (case_dir / "photos" / "text.jpg").write_text("not a picture")
    good = (case_dir / "photos" / "ok.jpg").read_bytes()
    (case_dir / "photos" / "cut.jpg").write_bytes(good[: len(good) // 2])
    path = write_cases(
        {},
        {"case_id": "T-2", "photo": "photos/text.jpg"},
        {"case_id": "T-3", "photo": "photos/cut.jpg"},
    )
    cases, problems = run(path, case_dir)
    assert cases == ["T-001"]
    assert (3, "photo", "photo-format") in problems
    assert (4, "photo", "photo-corrupt") in problems


def test_low_resolution_photo_is_a_warning(
    write_cases: Callable[..., Path], case_dir: Path
) -> None:
    make_jpeg(case_dir / "photos" / "small.jpg", (480, 600))
    cases, problems = run(write_cases({"photo": "photos/small.jpg"}), case_dir)
    assert cases == ["T-001"]
    assert problems == [(2, "photo", "photo-low-dpi")]


def test_photo_url_goes_through_the_fetch_safeguards(
    write_cases: Callable[..., Path], case_dir: Path
) -> None:
    path = write_cases({"photo": "https://photos.example.org/a.jpg?token=s3cret"})
    config = Config(base_dir=case_dir, state_dir=case_dir / ".campaign")
    result = intake(path, config, IntakeOptions(AS_OF, {}))
    (problem,) = result.problems
    assert (problem.field, problem.code) == ("photo", "fetch-host-not-allowed")
    assert problem.severity is Severity.ERROR and "s3cret" not in problem.message
    assert result.cases == []


def test_language_without_catalog_is_a_warning(
    write_cases: Callable[..., Path], case_dir: Path
) -> None:
    cases, problems = run(write_cases({"locales": "es sw"}), case_dir)
    assert cases == ["T-001"]
    assert problems == [(2, "locales", "locale-no-catalog")]


def test_validate_writes_nothing_to_the_state_folder(
    write_cases: Callable[..., Path], case_dir: Path
) -> None:
    run(write_cases({}), case_dir)
    assert not (case_dir / ".campaign").exists()
