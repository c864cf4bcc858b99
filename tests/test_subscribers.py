"""Subscriber lists: good rows kept, every bad row reported by line and column, nothing personal
repeated in a message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from campaign.audience import Area, EmailList, Subscriber
from campaign.channels.settings import ChannelSettings
from campaign.errors import InputError
from campaign.problems import Problem, Severity
from campaign.subscribers import load_subscribers

TODAY = dt.date(2026, 11, 28)
HEADER = "email,name,locale,country,region,lat,lon,radius_km,consent_date"

# One row per line unless a quoted cell spans lines; the comment is the row's first line.
MIXED = "\r\n".join(
    [
        HEADER,  # 1
        "Ana@EXAMPLE.org,Ana Ejemplo,es,MX,,,,,2026-01-05",  # 2: good
        "bea.at.example.org,Bea Ejemplo,es,MX,,,,,2026-01-05",  # 3: no @-sign
        "carla@example.org,Carla Ejemplo,,MX,,,,,2026-01-05",  # 4: no locale
        "dora@example.org,Dora Ejemplo,xx-Qqqq,MX,,,,,2026-01-05",  # 5: unknown locale
        "eva@example.org,Eva Ejemplo,es,MX,,,,,2026-12-01",  # 6: consent after today
        "fay@example.org,Fay Ejemplo,es,MX,,,,,",  # 7: no consent date
        "gus@example.org,Gus Ejemplo,en,US,,29.76,-95.37,,2026-01-05",  # 8: no radius_km
        "hal@example.org,Hal Ejemplo,en,USA,,,,,2026-01-05",  # 9: not an alpha-2 code
        '"ivy@example.org","Ivy\r\nEjemplo",en,US,,,,,2026-01-05',  # 10-11: CR/LF in the name
        "jo@example.org,Jo Ejemplo,pt-BR,br,,,,,2026-01-05",  # 12: good
        "ana@Example.ORG,Ana Otra,es,MX,,,,,2026-02-01",  # 13: the address of line 2 again
        "kim@example.org,,zh-Hans,,US-TX,,,,2026-01-05",  # 14: good (region only)
        "",
    ]
)
PERSONAL = [
    "Ana@EXAMPLE.org", "bea.at.example.org", "carla@", "dora@", "eva@", "fay@", "gus@", "hal@",
    "ivy@", "jo@", "ana@Example", "kim@", "Ejemplo", "Ana Otra",
]  # fmt: skip


def email_list(path: Path, name: str = "weekly") -> EmailList:
    return EmailList(name, path, ChannelSettings(url="outbox:out"))


def write(tmp_path: Path, text: str | bytes, name: str = "subscribers.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def load(tmp_path: Path, text: str | bytes) -> tuple[list[Subscriber], list[Problem]]:
    return load_subscribers(email_list(write(tmp_path, text)), TODAY)


def where(problems: list[Problem], severity: Severity = Severity.ERROR) -> set[tuple[int, str]]:
    return {(p.line or 0, p.field or "") for p in problems if p.severity is severity}


def test_good_rows_are_kept_and_every_bad_row_is_named_by_line_and_field(
    tmp_path: Path,
) -> None:
    subscribers, problems = load(tmp_path, MIXED)

    assert [(s.address, s.line) for s in subscribers] == [
        ("Ana@example.org", 2),
        ("jo@example.org", 12),
        ("kim@example.org", 14),
    ]
    assert where(problems) == {
        (3, "email"),
        (4, "locale"),
        (5, "locale"),
        (6, "consent_date"),
        (7, "consent_date"),
        (8, "radius_km"),
        (9, "country"),
        (10, "name"),
    }
    assert all(p.code == "subscriber-invalid" for p in problems if p.severity is Severity.ERROR)
    assert all(p.file == str(tmp_path / "subscribers.csv") for p in problems)
    (duplicate,) = [p for p in problems if p.severity is Severity.WARNING]
    assert (duplicate.line, duplicate.field) == (13, "email")
    assert "line 2" in duplicate.message


def test_no_message_repeats_an_address_or_a_name(tmp_path: Path) -> None:
    _, problems = load(tmp_path, MIXED)
    for problem in problems:
        for personal in PERSONAL:
            assert personal.lower() not in problem.text().lower(), problem.text()


@pytest.mark.parametrize(
    "address",
    [
        "someone.at.mailbox.org",
        "someone@",
        "@mailbox.org",
        "someone@mailbox..org",
        "someone@mail_box.org",
        "someone@-mailbox.org",
        "some one@mailbox.org",
        "Someone <someone@mailbox.org>",
        "someone@xn--ls8h.org",
        "someone@localhost",
    ],
)
def test_a_refused_address_is_not_repeated(tmp_path: Path, address: str) -> None:
    text = f'email,locale,consent_date\r\n"{address}",es,2026-01-05\r\n'
    subscribers, problems = load(tmp_path, text)
    assert subscribers == []
    (problem,) = problems
    assert (problem.line, problem.field) == (2, "email")
    for part in ("someone", "mailbox", "mail_box", "ls8h", "\U0001f4a9", "localhost"):
        assert part not in problem.message


def test_the_fields_of_a_good_row(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\nAna@EXAMPLE.org,Ana Ejemplo,pt-BR,mx gt,US-TX,29.7604,-95.3698,50,2026-01-05\n"
    )
    (subscriber,), problems = load(tmp_path, text)
    assert problems == []
    assert subscriber.address == "Ana@example.org"
    assert subscriber.name == "Ana Ejemplo"
    assert subscriber.locale == "pt-BR"
    assert subscriber.area == Area(("MX", "GT"), ("US-TX",), 29.7604, -95.3698, 50.0)
    assert subscriber.consent_date == dt.date(2026, 1, 5)
    assert (subscriber.list_name, subscriber.line) == ("weekly", 2)


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    (subscriber,), problems = load(
        tmp_path, "email,locale,consent_date\na@example.org,es,2026-11-28\n"
    )
    assert problems == []
    assert subscriber.name is None
    assert subscriber.area == Area()
    assert subscriber.area.everywhere


def test_bom_and_multi_line_cells_keep_line_numbers_right(tmp_path: Path) -> None:
    text = (
        "\ufeffemail,locale,consent_date,notes\r\n"
        'first@example.org,es,2026-01-01,"line one\r\nline two\r\nline three"\r\n'
        "second@example.org,es,2026-01-01,\r\n"
        "third@example.org,es,someday,\r\n"
    )
    subscribers, problems = load(tmp_path, text)
    assert [(s.address, s.line) for s in subscribers] == [
        ("first@example.org", 2),
        ("second@example.org", 5),
    ]
    assert where(problems) == {(6, "consent_date")}
    assert where(problems, Severity.WARNING) == {(1, "notes")}


def test_an_unknown_column_is_a_warning_with_a_hint(tmp_path: Path) -> None:
    text = "email,locale,consent_date,regoin\na@example.org,es,2026-01-01,US-TX\n"
    subscribers, problems = load(tmp_path, text)
    assert len(subscribers) == 1
    (problem,) = problems
    assert problem.severity is Severity.WARNING
    assert (problem.line, problem.field) == (1, "regoin")
    assert "did you mean 'region'?" in problem.message


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ("a@example.org,A\x00B,es,,,,,,2026-01-01", "name"),
        ("a@example.org," + "n" * 201 + ",es,,,,,,2026-01-01", "name"),
        ("a@example.org,,es pt,,,,,,2026-01-01", "locale"),
        ("a@example.org,,es,ZZ,,,,,2026-01-01", "country"),
        ("a@example.org,,es,,TX,,,,2026-01-01", "region"),
        ("a@example.org,,es,,US-ZZZ,,,,2026-01-01", "region"),
        ("a@example.org,,es,,,95,10,5,2026-01-01", "lat"),
        ("a@example.org,,es,,,10,190,5,2026-01-01", "lon"),
        ("a@example.org,,es,,,10,10,0,2026-01-01", "radius_km"),
        ("a@example.org,,es,,,north,10,5,2026-01-01", "lat"),
        ("a@example.org,,es,,,,10,5,2026-01-01", "lat"),
        ("a@example.org,,es,,,,,,2026-02-30", "consent_date"),
        ("a@example.org,,es,,,,,,05/01/2026", "consent_date"),
        (",,es,,,,,,2026-01-01", "email"),
    ],
)
def test_one_bad_field(tmp_path: Path, cells: str, field: str) -> None:
    subscribers, problems = load(tmp_path, f"{HEADER}\n{cells}\n")
    assert subscribers == []
    assert where(problems) == {(2, field)}


def test_a_location_is_not_repeated_in_a_message(tmp_path: Path) -> None:
    _, problems = load(tmp_path, f"{HEADER}\na@example.org,,es,,,19.4326x,-99.1332,5,2026-01-01\n")
    (problem,) = problems
    assert "19.4326" not in problem.message
    assert "99.1332" not in problem.message


def test_a_name_of_200_characters_is_kept(tmp_path: Path) -> None:
    (subscriber,), problems = load(
        tmp_path, f"{HEADER}\na@example.org,{'n' * 200},es,,,,,,2026-01-01\n"
    )
    assert problems == []
    assert subscriber.name == "n" * 200


def test_bytes_that_are_not_utf8_are_reported_by_field(tmp_path: Path) -> None:
    data = b"email,name,locale,consent_date\na@example.org,Ana \xff,es,2026-01-01\n"
    subscribers, problems = load(tmp_path, data)
    assert subscribers == []
    assert where(problems) == {(2, "name")}
    assert "UTF-8" in problems[0].message


def test_a_row_with_too_many_cells_is_skipped(tmp_path: Path) -> None:
    subscribers, problems = load(
        tmp_path, "email,locale,consent_date\na@example.org,es,2026-01-01,x\n"
    )
    assert subscribers == []
    assert [(p.severity, p.line) for p in problems] == [(Severity.ERROR, 2)]


def test_a_missing_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InputError, match="nowhere.csv"):
        load_subscribers(email_list(path), TODAY)


@pytest.mark.parametrize(
    "text",
    ["", "\ufeff", "mail,locale,consent_date\na@example.org,es,2026-01-01\n", "email,email\n"],
)
def test_a_file_without_an_email_column_is_an_input_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError, match="subscribers.csv"):
        load(tmp_path, text)
