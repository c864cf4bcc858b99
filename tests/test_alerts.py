"""Alerts: CAP 1.2 against the OASIS schema, publishing (Alert, Update, Cancel), short texts and
their limits, the `campaign alert` command and the build's alert files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from campaign import i18n
from campaign.build import BuildRequest, build
from campaign.cases import LoadResult
from campaign.config import Config, load_config
from campaign.errors import AlertError, ConfigError, RenderError
from campaign.intake import IntakeOptions, intake
from campaign.layouts import alert_text, alerts
from campaign.layouts.shorttext import post_length, sms_count
from campaign.models import Case, Status
from campaign.publish import alert_case, publish_cap
from campaign.state import open_state
from tests.captools import NS, parse, standards, texts_of, valid
from tests.conftest import AS_OF, DemoBuild

T0 = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)
ABDUCTIONS = {"family_abduction", "nonfamily_abduction"}


@pytest.fixture(scope="module")
def demo(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, LoadResult]:
    config = dataclasses.replace(
        load_config(demo_dir / "campaign.toml"),
        photo_url="https://example.org/p/{ref}.jpg",
        state_dir=tmp_path_factory.mktemp("alert-state"),
    )
    options = IntakeOptions(AS_OF, {}, persist_refs=True, check_photos=False)
    return config, intake(demo_dir / "cases.csv", config, options)


def case_of(demo: tuple[Config, LoadResult], case_id: str) -> Case:
    return next(case for case in demo[1].cases if case.case_id == case_id)


def context(demo: tuple[Config, LoadResult], case: Case, *tags: str) -> alert_text.AlertContext:
    return alert_text.alert_context(case, demo[0], AS_OF, tags)


def test_the_oasis_amber_example_validates() -> None:
    folder = standards()
    if folder is None:
        pytest.skip("shared/standards/cap-1.2 not found above the repository")
    valid((folder / "amber-alert-example.xml").read_bytes())


def test_cap_of_every_demo_case_is_valid_and_follows_the_category_table(
    demo: tuple[Config, LoadResult],
) -> None:
    config, loaded = demo
    cases = [case for case in loaded.cases if case.status is Status.ACTIVE]
    assert len(cases) >= 10
    for case in cases:
        ctx = context(demo, case)
        env = alerts.build_envelope(config, case, AS_OF)
        root = valid(alerts.cap(case, ctx, env))
        infos = root.findall("cap:info", NS)
        assert texts_of(root, "cap:info/cap:language") == list(ctx.locales)
        profile = alerts.PROFILES[case.category]
        for info in infos:
            assert info.findtext("cap:category", namespaces=NS) == "Rescue"
            assert info.findtext("cap:urgency", namespaces=NS) == profile.urgency
            assert info.findtext("cap:severity", namespaces=NS) == profile.severity
            assert info.findtext("cap:certainty", namespaces=NS) == profile.certainty
            codes = texts_of(info, "cap:eventCode/cap:value")
            assert codes == (["CAE"] if case.category.value in ABDUCTIONS else [])
            assert case.display_name in info.findtext("cap:headline", namespaces=NS)
            assert info.findtext("cap:resource/cap:uri", namespaces=NS) == (
                f"https://example.org/p/{case.case_ref}.jpg"
            )
            web = info.findtext("cap:web", namespaces=NS)
            assert web.startswith(f"https://example.org/c/{case.case_ref}?utm_source=alert")
        scope = "Restricted" if case.publicity.value == "restricted" else "Public"
        assert root.findtext("cap:scope", namespaces=NS) == scope


def test_envelope_identifier_sent_and_area(demo: tuple[Config, LoadResult]) -> None:
    case = case_of(demo, "DEMO-US-001")
    root = valid(alerts.cap(case, context(demo, case), alerts.build_envelope(demo[0], case, AS_OF)))
    identifier = root.findtext("cap:identifier", namespaces=NS)
    assert identifier == f"example.org.{case.case_ref}.20261128T000000Z"
    assert not set(identifier) & set(" ,<&")
    assert root.findtext("cap:sent", namespaces=NS) == "2026-11-28T00:00:00+00:00"
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert texts_of(root, "cap:info/cap:area/cap:circle") == ["29.7604,-95.3698 50"] * 2
    assert texts_of(root, "cap:info/cap:instruction")[0].startswith("Call (713) 555-0142")
    no_position = case_of(demo, "DEMO-US-003")
    other = parse(
        alerts.cap(
            no_position,
            context(demo, no_position),
            alerts.build_envelope(demo[0], no_position, AS_OF),
        )
    )
    assert other.findall("cap:info/cap:area/cap:circle", NS) == []
    assert texts_of(other, "cap:info/cap:area/cap:areaDesc")[0].startswith("San Antonio")


def test_private_fields_appear_in_no_alert(demo: tuple[Config, LoadResult]) -> None:
    config, loaded = demo
    names = " ".join(case.display_name for case in loaded.cases)
    secrets = [
        value
        for private in loaded.private.values()
        for _, value in private.values
        if value not in names  # a parent's name can be part of the child's
    ]
    assert len(secrets) > 10
    for case in loaded.cases:
        ctx = context(demo, case)
        output = alerts.cap(case, ctx, alerts.build_envelope(config, case, AS_OF))
        output += alerts.texts_json(case, ctx)
        text = output.decode("utf-8")
        for secret in secrets:
            assert secret not in text and json.dumps(secret)[1:-1] not in text


def test_publishing_alert_reprint_update_cancel(demo: tuple[Config, LoadResult]) -> None:
    config, _ = demo
    case = case_of(demo, "DEMO-MX-001")
    ctx = context(demo, case)
    with open_state(config) as state:
        first = publish_cap(case, ctx, state, T0)
        again = publish_cap(case, ctx, state, T0 + dt.timedelta(minutes=5))
        changed = publish_cap(case, context(demo, case, "es"), state, T0)  # clock went backwards
        resolved = dataclasses.replace(case, status=Status.RESOLVED)
        closing = publish_cap(resolved, ctx, state, T0 + dt.timedelta(hours=1))
        closing_again = publish_cap(resolved, ctx, state, T0 + dt.timedelta(hours=2))
        history = state.publications(case.case_ref, "cap")
    assert (first.recorded, again.recorded, changed.recorded, closing.recorded) == (
        True,
        False,
        True,
        True,
    )
    assert again.document == first.document and not closing_again.recorded
    assert closing_again.document == closing.document
    assert [item.msg_type for item in history] == ["Alert", "Update", "Cancel"]
    assert history[1].sent == T0 + dt.timedelta(seconds=1)  # always after the one before
    for done in (first, changed, closing):
        valid(done.document)
    update = parse(changed.document)
    assert update.findtext("cap:references", namespaces=NS) == history[0].reference
    cancel = parse(closing.document)
    assert cancel.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cancel.findtext("cap:references", namespaces=NS).split() == [
        history[0].reference,
        history[1].reference,
    ]
    assert history[0].reference == (
        f"alerts@example.org,example.org.{case.case_ref}.20261128T120000Z,2026-11-28T12:00:00+00:00"
    )
    assert texts_of(cancel, "cap:info/cap:language") == ["es", "en"]


def test_a_cancel_is_neutral(demo: tuple[Config, LoadResult]) -> None:
    case = dataclasses.replace(case_of(demo, "DEMO-US-002"), status=Status.RESOLVED)
    env = alerts.envelope("alerts@example.org", case.case_ref, T0, "Cancel", ("a,b,c",))
    document = alerts.cancel(case, context(demo, case), env).decode("utf-8")
    for word in ("Harper", "Whitfield", "Phoenix", "/p/", "circle", "found", "safe", "located"):
        assert word not in document
    assert f"Appeal {case.case_ref} has been closed" in document


def test_resolved_case_never_published_has_nothing_to_cancel(
    demo: tuple[Config, LoadResult],
) -> None:
    config, _ = demo
    case = case_of(demo, "DEMO-MX-002")
    with open_state(config) as state, pytest.raises(AlertError, match="nothing to cancel"):
        publish_cap(case, context(demo, case), state, T0)


def test_which_case_may_alert(demo: tuple[Config, LoadResult]) -> None:
    _, loaded = demo
    assert alert_case(loaded, "DEMO-US-001", "sms").case_id == "DEMO-US-001"
    assert alert_case(loaded, "DEMO-MX-002", "cap").status is Status.RESOLVED
    assert alert_case(loaded, "DEMO-AE-002", "cap").case_id == "DEMO-AE-002"
    for case_id, fmt, message in [
        ("DEMO-MX-002", "sms", "resolved"),
        ("DEMO-AR-001", "cap", "not publishable: publication is not authorised"),
        ("DEMO-AR-002", "wea", "review date"),
        ("DEMO-AE-002", "social", "restricted"),
        ("NOPE", "cap", "no case with id 'NOPE'"),
    ]:
        with pytest.raises(AlertError, match=message):
            alert_case(loaded, case_id, fmt)


# --- short texts ---------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", ["DEMO-MX-001", "DEMO-US-002", "DEMO-AE-001", "DEMO-MY-001"])
def test_texts_fit_in_every_locale_never_cut(demo: tuple[Config, LoadResult], case_id: str) -> None:
    config, _ = demo
    case = case_of(demo, case_id)
    ctx = context(demo, case, *i18n.available_locales())
    for item in alerts.texts(case, ctx):
        said = alert_text.words(case, item.locale, ctx)
        assert len(item.wea) <= 90 and len(item.wea_long) <= 360
        assert item.sms_count.segments <= 2 and item.sms_count == sms_count(item.sms)
        assert item.social_length <= 280 and item.social_length == post_length(item.social)
        for medium, text in (
            ("wea", item.wea),
            ("wea", item.wea_long),
            ("sms", item.sms),
            ("social", item.social),
        ):
            fields = [
                said.name,
                said.age,
                said.last_seen,
                said.call,
                alert_text.link(case, config, medium, item.locale),
            ]
            lines = text.split("\n")
            assert lines[0] == said.headline
            assert lines[1:] == [field for field in fields if field][: len(lines) - 1]
        assert item.social.endswith(f"utm_content={item.locale}")  # the link is in the post


def test_the_long_name_leaves_room_for_name_and_age_in_90(demo: tuple[Config, LoadResult]) -> None:
    case = case_of(demo, "DEMO-MX-001")
    (item,) = alerts.texts(case, context(demo, case, "es"))
    assert item.wea.split("\n")[1] == case.display_name and len(case.display_name) > 50
    assert "https://" in item.wea_long


def test_a_headline_that_cannot_fit_is_a_render_error() -> None:
    said = alert_text.Words("en", "en", "X" * 100, "Ana", None, None, None, None, None, None, "")
    with pytest.raises(RenderError, match="en: not even"):
        alert_text.fitted(said, "https://e.org", 90)


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('cap_sender = "alerts at example.org"', "cap_sender"),
        ('cap_sender = "a@b,c.org"', "cap_sender"),
        ('photo_url = "/srv/photos/{ref}.jpg"', "photo_url must start with https://"),
        ('photo_url = "https://example.org/p.jpg"', "contain {ref}"),
        ("cap_radius_km = 0", "cap_radius_km"),
    ],
)
def test_alert_settings_are_checked(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(f"[campaign]\n{line}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_alert_settings_defaults_and_values(tmp_path: Path) -> None:
    assert (Config().cap_sender, Config().photo_url, Config().cap_radius_km) == (
        "alerts@example.org",
        None,
        50.0,
    )
    path = tmp_path / "campaign.toml"
    path.write_text(
        '[campaign]\ncap_sender = "cap.example.net"\ncap_radius_km = 12\n'
        'photo_url = "https://cdn.example.org/{ref}.jpg"\n'
    )
    config = load_config(path)
    assert (config.cap_sender, config.cap_radius_km) == ("cap.example.net", 12.0)
    assert config.photo_url == "https://cdn.example.org/{ref}.jpg"


# --- the build -----------------------------------------------------------------------------


def test_build_writes_alert_files_and_records_nothing(
    demo_build: DemoBuild, demo_dir: Path
) -> None:
    alerts_built = [
        r for r in demo_build.manifest["renditions"] if r["format"].startswith("alert-")
    ]
    publishable = {case.case_id for case in demo_build.loaded.publishable}
    assert {r["case_id"] for r in alerts_built} == publishable
    for rendition in alerts_built:
        data = (demo_build.root / rendition["path"]).read_bytes()
        assert rendition["locale"] == "mul" and rendition["bytes"] == len(data)
        assert rendition["sha256"] == hashlib.sha256(data).hexdigest()
        assert rendition["path"].startswith(f"{rendition['case_id']}/alerts/")
        if rendition["format"] == "alert-cap":
            root = valid(data)
            assert root.findtext("cap:sent", namespaces=NS) == "2026-11-28T00:00:00+00:00"
        else:
            assert rendition["format"] == "alert-texts"
            for item in json.loads(data)["locales"]:
                assert len(item["wea"]["cmam_text"]) <= 90
                assert item["sms"]["segments"] == sms_count(item["sms"]["text"]).segments <= 2
    restricted = [r["format"] for r in alerts_built if r["case_id"] == "DEMO-AE-002"]
    assert restricted == ["alert-cap"]  # no public texts for a restricted case
    assert not list(demo_dir.rglob("state.db"))


def test_build_alerts_are_deterministic(demo: tuple[Config, LoadResult], tmp_path: Path) -> None:
    config, loaded = demo
    loaded = dataclasses.replace(loaded, cases=[case_of(demo, "DEMO-US-002")])
    first = build(loaded, config, BuildRequest(tmp_path / "a", AS_OF, []))
    second = build(loaded, config, BuildRequest(tmp_path / "b", AS_OF, []))
    assert [r.sha256 for r in first.renditions] == [r.sha256 for r in second.renditions]
    assert [r.format for r in first.renditions] == ["alert-cap", "alert-texts"]


def test_the_validator_refuses_what_the_schema_refuses(demo: tuple[Config, LoadResult]) -> None:
    case = case_of(demo, "DEMO-US-001")
    document = alerts.cap(case, context(demo, case), alerts.build_envelope(demo[0], case, AS_OF))
    for good, bad in [(b"+00:00</sent>", b"Z</sent>"), (b"<status>Draft", b"<status>Real")]:
        with pytest.raises(AssertionError):
            valid(document.replace(good, bad))


def test_a_build_copy_is_a_draft_and_a_published_one_is_actual(
    demo: tuple[Config, LoadResult],
) -> None:
    case = case_of(demo, "DEMO-US-001")
    draft = alerts.cap(case, context(demo, case), alerts.build_envelope(demo[0], case, AS_OF))
    assert b"<status>Draft</status>" in draft
    actual = alerts.envelope(
        demo[0].cap_sender, case.case_ref, dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    )
    assert b"<status>Actual</status>" in alerts.cap(case, context(demo, case), actual)
