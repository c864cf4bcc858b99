"""PFIF 1.4 person records as raw case records: the real sample file, and hand-written ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from campaign.cases.pfif import derive_case_id, read_pfif
from campaign.cases.raw import RawRecord
from campaign.problems import Problem, Severity

SAMPLE = Path("standards") / "pfif-1.4" / "test.pfif-1.4.xml"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">\n'
TAIL = "</pfif:pfif>\n"


@pytest.fixture(scope="module")
def sample() -> Path:
    """The PFIF 1.4 test file from ``shared/standards``, found in a folder above this one."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / SAMPLE
        if candidate.is_file():
            return candidate
    pytest.skip(f"shared/{SAMPLE} not found beside the repository (CI checks out shared/ there)")


def read(path: Path) -> list[RawRecord | Problem]:
    return list(read_pfif(path, "cases.xml"))


def records(path: Path) -> list[RawRecord]:
    items = read(path)
    assert all(isinstance(item, RawRecord) for item in items), items
    return [item for item in items if isinstance(item, RawRecord)]


def write(tmp_path: Path, body: str, name: str = "cases.xml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body + TAIL, encoding="utf-8")
    return path


def only_problem(path: Path) -> Problem:
    items = read(path)
    assert len(items) == 1 and isinstance(items[0], Problem), items
    return items[0]


# --- the real sample file -------------------------------------------------------------------


def test_sample_person_mapping(sample: Path) -> None:
    [record] = records(sample)
    assert record.file == "cases.xml"
    assert record.line == 3
    assert record.source_id == "test.google.com/person.21009"
    assert record.values == {
        "case_id": "person-21009",
        "full_name": "_test_full_name1",
        "alternate_names": "_test_full_name2;_test_alternate_name1;_test_alternate_name2",
        "given_name": "_test_given_name",
        "family_name": "_test_family_name",
        "sex": "female",
        "date_of_birth": "1970-01",
        "age_at_missing": "35-45",
        "description": "_test_description",
        "photo": "_test_photo_url",
        "home_address": "_test_home_street, _test_home_neighborhood, _test_home_city, "
        "_test_home_state, _test_home_postal_code, US",
        # the newest note (source_date 2000-01-18T20:21:22Z, line 65) has no location;
        # the newest one that has one is the note on line 52
        "missing_since": "2000-01-18T20:21",
        "missing_city": "19.16592425362802 -71.9384765625",
    }


def test_sample_field_lines(sample: Path) -> None:
    [record] = records(sample)
    assert record.line_of("case_id") == 26
    assert record.line_of("full_name") == 7
    assert record.line_of("alternate_names") == 11
    assert record.line_of("date_of_birth") == 15
    assert record.line_of("age_at_missing") == 16
    assert record.line_of("home_address") == 18  # home_city, the first home_* element
    assert record.line_of("missing_since") == 65
    assert record.line_of("missing_city") == 52
    assert record.line_of("consent") == 3  # absent: the person's own line


def test_sample_leaves_out_what_pfif_does_not_have(sample: Path) -> None:
    [record] = records(sample)
    for name in ("missing_country", "authority_ref", "consent", "status", "notes"):
        assert name not in record.values


# --- hand-written files -----------------------------------------------------------------------

TWO_PEOPLE = """\
  <pfif:person>
    <pfif:person_record_id>example.org/p1</pfif:person_record_id>
    <pfif:given_name>Ana</pfif:given_name>
    <pfif:family_name></pfif:family_name>
    <pfif:favourite_colour>ignored</pfif:favourite_colour>
    <pfif:note>
      <pfif:note_record_id>example.org/n1</pfif:note_record_id>
      <pfif:source_date>2024-05-01T08:15:00Z</pfif:source_date>
      <pfif:last_known_location>Guadalajara</pfif:last_known_location>
    </pfif:note>
    <pfif:note>
      <pfif:note_record_id>example.org/n2</pfif:note_record_id>
      <pfif:entry_date>2024-04-01T00:00:00Z</pfif:entry_date>
      <pfif:last_known_location>Zapopan</pfif:last_known_location>
    </pfif:note>
  </pfif:person>
  <pfif:note>
    <pfif:note_record_id>example.org/n3</pfif:note_record_id>
    <pfif:person_record_id>example.org/p2</pfif:person_record_id>
    <pfif:source_date>2024-06-02</pfif:source_date>
    <pfif:last_known_location>  Tlaquepaque,
      centro </pfif:last_known_location>
  </pfif:note>
  <pfif:person><pfif:person_record_id>example.org/p2</pfif:person_record_id>
    <pfif:full_name>

      Luis Pérez
      Lucho
    </pfif:full_name>
    <pfif:alternate_names>Lucho
Güero</pfif:alternate_names>
  </pfif:person>
"""


def test_nested_and_top_level_notes(tmp_path: Path) -> None:
    first, second = records(write(tmp_path, TWO_PEOPLE))
    assert (first.line, second.line) == (3, 26)
    assert first.values == {
        "case_id": "p1",
        "given_name": "Ana",
        "missing_since": "2024-05-01T08:15",
        "missing_city": "Guadalajara",
    }
    assert first.field_lines["missing_since"] == 8 and first.field_lines["missing_city"] == 8
    assert second.values == {
        "case_id": "p2",
        "full_name": "Luis Pérez",
        "alternate_names": "Lucho;Güero",
        "missing_since": "2024-06-02",
        "missing_city": "Tlaquepaque, centro",
    }
    assert second.field_lines["missing_since"] == 19


def test_note_times_are_converted_to_utc_minutes(tmp_path: Path) -> None:
    body = """<pfif:person><pfif:person_record_id>x/p</pfif:person_record_id><pfif:note>
    <pfif:source_date>2024-05-01T23:59:59-02:00</pfif:source_date></pfif:note></pfif:person>
    """
    [record] = records(write(tmp_path, body))
    assert record.values["missing_since"] == "2024-05-02T01:59"


def test_unreadable_note_date_is_passed_on_for_validation(tmp_path: Path) -> None:
    body = """<pfif:person><pfif:person_record_id>x/p</pfif:person_record_id><pfif:note>
    <pfif:source_date>last tuesday</pfif:source_date></pfif:note></pfif:person>
    """
    [record] = records(write(tmp_path, body))
    assert record.values["missing_since"] == "last tuesday"


def test_person_without_id_or_notes_is_left_for_validation(tmp_path: Path) -> None:
    [record] = records(write(tmp_path, "<pfif:person><pfif:sex>male</pfif:sex></pfif:person>"))
    assert record.values == {"sex": "male"} and record.source_id is None


def test_older_namespaces_and_first_last_name(tmp_path: Path) -> None:
    path = tmp_path / "old.xml"
    path.write_text(
        '<pfif xmlns="http://zesty.ca/pfif/1.2">\n<person>\n'
        "<person_record_id>old.example.org/42</person_record_id>\n"
        "<first_name>Ana</first_name><last_name>Ruiz</last_name></person></pfif>",
        encoding="utf-8",
    )
    [record] = records(path)
    assert record.values == {"case_id": "42", "given_name": "Ana", "family_name": "Ruiz"}
    assert record.line == 2


def test_other_namespace_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text('<?xml version="1.0"?>\n<cases xmlns="urn:x"><person/></cases>\n')
    problem = only_problem(path)
    assert problem.code == "pfif-namespace" and problem.line == 2


# --- hostile and broken files ----------------------------------------------------------------

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>
<pfif:full_name>&lol3;</pfif:full_name></pfif:person></pfif:pfif>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE pfif [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>
<pfif:full_name>&secret;</pfif:full_name></pfif:person></pfif:pfif>
"""


@pytest.mark.parametrize("text", [BOMB, EXTERNAL], ids=["entity-bomb", "external-entity"])
def test_dtds_and_entities_refused_never_expanded(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(text, encoding="utf-8")
    problem = only_problem(path)
    assert problem.severity is Severity.ERROR and problem.code == "xml-forbidden"
    assert problem.file == "cases.xml" and problem.line == 2
    assert "lol" not in problem.message and "passwd" not in problem.message


def test_malformed_xml_reported_with_its_line(tmp_path: Path) -> None:
    body = "  <pfif:person>\n    <pfif:given_name>Ana</pfif:family_name>\n  </pfif:person>\n"
    problem = only_problem(write(tmp_path, body))
    assert problem.severity is Severity.ERROR and problem.code == "xml-syntax"
    assert problem.line == 4 and problem.file == "cases.xml"
    assert "mismatched tag" in problem.message


def test_empty_file_is_a_syntax_problem(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    assert only_problem(path).code == "xml-syntax"


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    from campaign.errors import InputError

    with pytest.raises(InputError):
        read(tmp_path / "absent.xml")


# --- the case id transform -------------------------------------------------------------------


def short_hash(record_id: str) -> str:
    return "pfif-" + hashlib.sha256(record_id.encode()).hexdigest()[:12]


@pytest.mark.parametrize(
    ("record_id", "expected"),
    [
        ("test.google.com/person.21009", "person-21009"),
        ("example.org/abc_DEF-9", "abc_DEF-9"),
        ("example.org/__x y", "x-y"),
        ("no-slash", "no-slash"),
        ("example.org/a/b/c.d", "c-d"),
        ("example.org/", short_hash("example.org/")),
        ("example.org/ñ", short_hash("example.org/ñ")),
        ("example.org/" + "a" * 65, short_hash("example.org/" + "a" * 65)),
        ("example.org/" + "a" * 64, "a" * 64),
    ],
)
def test_case_id_transform(record_id: str, expected: str) -> None:
    assert derive_case_id(record_id, set()) == expected


def test_case_id_collisions_in_one_file_get_hashed_ids(tmp_path: Path) -> None:
    ids = ["a.org/p.1", "b.org/p-1", "c.org/P_1", "c.org/p_1"]
    body = "".join(
        f"<pfif:person><pfif:person_record_id>{i}</pfif:person_record_id></pfif:person>\n"
        for i in ids
    )
    got = [(r.values["case_id"], r.source_id) for r in records(write(tmp_path, body))]
    assert got == [
        ("p-1", "a.org/p.1"),
        (short_hash("b.org/p-1"), "b.org/p-1"),
        ("P_1", "c.org/P_1"),
        (short_hash("c.org/p_1"), "c.org/p_1"),  # ids differing only in case collide too
    ]
