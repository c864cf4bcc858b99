"""Catalogs, tag handling, fallback and the country table of campaign.i18n."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from campaign import i18n
from campaign.errors import ConfigError
from campaign.i18n import vocabulary
from campaign.models import Category, Eyes, Hair, Sex

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "campaign" / "i18n"
# The languages of the network's countries; a catalog added later is tested like these.
REQUIRED = set(
    "en es pt-BR fr nl de it ms zh-Hans ta af zu xh ar he hi th ur pl ru tr".split()  # noqa: SIM905
)
SHIPPED = i18n.available_locales()


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, str(m.id)) for m in catalog if m.id}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


POT = _read(I18N / "messages.pot")


def test_every_required_language_has_a_catalog() -> None:
    assert set(SHIPPED) >= REQUIRED
    assert not list(I18N.rglob("*.mo"))


def test_the_template_is_current(tmp_path: Path) -> None:
    out = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-o", str(out), "campaign"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert _keys(_read(out)) == _keys(POT), "run pybabel extract (see babel.cfg)"


@pytest.mark.parametrize("tag", SHIPPED)
def test_every_message_is_translated_and_none_is_fuzzy(tag: str) -> None:
    catalog = _read(I18N / "locales" / f"{tag}.po")
    assert not catalog.fuzzy
    assert _keys(catalog) == _keys(POT), "catalog and messages.pot differ"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        if message.pluralizable:
            assert len(message.string) == catalog.num_plurals, message.id
            assert all(form.strip() for form in message.string), message.id
        else:
            assert isinstance(message.string, str) and message.string.strip(), message.id


@pytest.mark.parametrize("tag", SHIPPED)
def test_placeholders_survive_translation(tag: str) -> None:
    for message in _read(I18N / "locales" / f"{tag}.po"):
        if not message.id:
            continue
        sources = message.id if message.pluralizable else (message.id,)
        expected = set().union(*(_placeholders(str(text)) for text in sources))
        forms = message.string if message.pluralizable else (message.string,)
        for form in forms:
            assert _placeholders(str(form)) == expected, message.id


@pytest.mark.parametrize("tag", SHIPPED)
def test_header_names_the_language_and_the_review_status(tag: str) -> None:
    text = (I18N / "locales" / f"{tag}.po").read_text(encoding="utf-8")
    assert f'"Language: {i18n.to_gettext(tag)}\\n"' in text
    record = i18n.review(tag)
    assert record.status in ("machine-draft", "reviewed")
    assert record.reviewed == (record.status == "reviewed")


def test_tag_conversion() -> None:
    assert i18n.to_gettext("pt-BR") == "pt_BR"
    assert i18n.to_gettext("zh-Hans") == "zh_Hans"
    assert i18n.to_gettext("en") == "en"


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-Hans", "zh-Hant-TW", "ar", "es-419"])
def test_valid_tags(tag: str) -> None:
    assert i18n.is_valid_tag(tag)


@pytest.mark.parametrize("tag", ["", "pt_BR", "xx", "en-", "english", " en"])
def test_invalid_tags(tag: str) -> None:
    assert not i18n.is_valid_tag(tag)


def test_fallback_chain_strips_subtags_then_english() -> None:
    assert i18n.fallback_chain("pt-BR") == ("pt-BR", "pt", "en")
    assert i18n.fallback_chain("en") == ("en",)
    assert i18n.fallback_chain("zh-TW")[-2:] == ("zh", "en")
    assert "zh-Hant" in i18n.fallback_chain("zh-TW")


@pytest.mark.parametrize(
    ("requested", "used", "fell_back"),
    [
        ("es", "es", False),
        ("es-MX", "es", True),
        ("pt-BR", "pt-BR", False),
        ("pt-PT", "en", True),
        ("zh-Hans", "zh-Hans", False),
        ("zh-CN", "zh-Hans", True),
        ("zh-TW", "en", True),  # Traditional readers are not given Simplified characters
        ("ZH-hans", "zh-Hans", False),
    ],
)
def test_localizer_reports_the_catalog_used(requested: str, used: str, fell_back: bool) -> None:
    loc = i18n.localizer(requested)
    assert (loc.requested, loc.tag, loc.fell_back) == (requested, used, fell_back)


def test_malformed_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="BCP 47"):
        i18n.localizer("pt_BR")


def test_translations_are_cached_and_translate() -> None:
    assert i18n.translations("es") is i18n.translations("es")
    assert i18n.translations("es").gettext("Date of birth") == "Fecha de nacimiento"
    assert i18n.localizer("ar").direction == "rtl"
    assert i18n.localizer("hi").direction == "ltr"


def test_contexts_keep_hair_and_eyes_apart() -> None:
    hindi = i18n.localizer("hi")
    assert vocabulary.hair(hindi, Hair.BROWN) != vocabulary.eyes(hindi, Eyes.BROWN)
    spanish = i18n.localizer("es")
    assert vocabulary.hair(spanish, "brown") == "Castaño"
    assert vocabulary.eyes(spanish, "brown") == "Castaños"


@pytest.mark.parametrize("tag", SHIPPED)
def test_every_vocabulary_value_has_a_lookup(tag: str) -> None:
    loc = i18n.localizer(tag)
    texts = [vocabulary.headline(loc, c) for c in Category]
    texts += [vocabulary.sex(loc, s) for s in Sex]
    texts += [vocabulary.hair(loc, h) for h in Hair]
    texts += [vocabulary.eyes(loc, e) for e in Eyes]
    texts += [vocabulary.label(loc, key, age=15) for key in vocabulary.Label]
    assert all(text.strip() for text in texts)
    assert "{" not in "".join(texts)


def test_labels_fill_placeholders() -> None:
    english = i18n.localizer("en")
    assert vocabulary.label(english, "age_progressed", age=15) == "Age-progressed to 15"
    assert "15" in vocabulary.label(i18n.localizer("zh-Hans"), "age_progressed", age=15)
    assert vocabulary.headline(english, Category.RUNAWAY) == "MISSING"


def test_country_table_loads_the_shipped_defaults() -> None:
    table = i18n.country_table()
    network = {"AR", "AU", "BE", "BR", "CA", "CL", "IT", "MY", "MX", "NL", "ZA", "ES", "GB", "US"}
    others = {"IN", "AE", "CN", "FR", "DE", "PT", "IE", "NZ", "SG"}
    assert network | others <= set(table)
    assert table["BE"].locales == ("nl", "fr", "de")
    assert table["MY"].locales == ("ms", "zh-Hans", "ta", "en")
    assert table["US"].measurement == "us"
    assert table["US"].hotline == "1-800-843-5678"
    assert table["ES"].eu and table["ES"].hotline == "116 000"
    assert not table["GB"].eu


def test_every_default_locale_is_a_valid_tag() -> None:
    for info in i18n.country_table().values():
        assert info.locales, info.code
        for tag in info.locales:
            assert i18n.is_valid_tag(tag), (info.code, tag)


def test_eu_members_get_116_000() -> None:
    for info in i18n.country_table().values():
        if info.eu:
            assert info.hotline == "116 000", info.code


def test_overrides_apply_only_the_named_keys() -> None:
    table = i18n.country_table(
        {"AE": {"hotline": "+971 0 000 0000"}, "fr": {"locales": ["fr", "br"]}, "KE": {}}
    )
    assert table["AE"].hotline == "+971 0 000 0000"
    assert table["AE"].locales == ("ar", "en")
    assert table["FR"].locales == ("fr", "br")
    assert table["KE"] == i18n.CountryInfo("KE")
    assert i18n.country_table()["AE"].hotline == ""  # the shipped table is not changed


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"AE": {"hotlne": "1"}}, "hotlne"),
        ({"UK": {"hotline": "1"}}, "UK"),
        ({"AE": {"locales": ["ar", "not a tag"]}}, "not a tag"),
        ({"AE": {"locales": []}}, "locales"),
        ({"AE": {"measurement": "imperial"}}, "measurement"),
        ({"AE": {"eu": "no"}}, "eu"),
    ],
)
def test_bad_overrides_raise_config_error(
    overrides: dict[str, dict[str, object]], fragment: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        i18n.country_table(overrides)


def test_a_country_missing_from_the_table_gets_english_metric_no_hotline() -> None:
    info = i18n.country("ke", i18n.country_table())
    assert info == i18n.CountryInfo("KE", ("en",), "", "metric", False)
    assert i18n.country("mx").locales == ("es",)
