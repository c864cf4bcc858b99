"""compose_notice() and check_neutral(): the closure notice of a withdrawn appeal, in every
shipped locale, and the banned-word check that keeps it neutral."""

from __future__ import annotations

import datetime as dt
import email.policy
from dataclasses import replace
from email.message import EmailMessage
from email.parser import BytesParser
from importlib import resources
from pathlib import Path

import dkim  # type: ignore[import-untyped]
import pytest

from campaign.audience import DkimSettings, EmailSettings
from campaign.i18n import available_locales, localizer
from campaign.i18n.vocabulary import Phrase, phrase
from campaign.mail.neutral import NotNeutral, banned_words, check_neutral, shipped_lists
from campaign.mail.notice import compose_notice
from tests.dkimkeys import dkim_keys

REF = "K7Q2-9MXD"
CREATED = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
SETTINGS = EmailSettings(
    sender="Red Ejemplo <appeals@example.org>",
    reply_to="Ayuda <help@example.org>",
    unsubscribe_url="https://example.org/unsubscribe?token={token}",
    unsubscribe_mailto="unsubscribe@example.org",
)
LOCALES = available_locales()

# One ordinary sentence per shipped locale, about something else entirely.
NEUTRAL = {
    "af": "Die vergadering begin môre om nege-uur in die biblioteek.",
    "ar": "يبدأ الاجتماع غدًا في الساعة التاسعة في المكتبة.",
    "de": "Die Sitzung beginnt morgen um neun Uhr in der Bibliothek.",
    "en": "The meeting starts tomorrow at nine in the library.",
    "es": "La reunión empieza mañana a las nueve en la biblioteca.",
    "fr": "La réunion commence demain à neuf heures à la bibliothèque.",
    "he": "הפגישה מתחילה מחר בשעה תשע בספרייה.",
    "hi": "बैठक कल सुबह नौ बजे पुस्तकालय में शुरू होगी।",
    "it": "La riunione inizia domani alle nove in biblioteca.",
    "ms": "Mesyuarat bermula esok pada pukul sembilan di perpustakaan.",
    "nl": "De vergadering begint morgen om negen uur in de bibliotheek.",
    "pl": "Spotkanie zaczyna się jutro o dziewiątej w bibliotece.",
    "pt-BR": "A reunião começa amanhã às nove horas na biblioteca.",
    "ru": "Собрание начнётся завтра в девять часов в библиотеке.",
    "ta": "கூட்டம் நாளை காலை ஒன்பது மணிக்கு நூலகத்தில் தொடங்கும்.",
    "th": "การประชุมจะเริ่มพรุ่งนี้เวลาเก้าโมงที่ห้องสมุด",
    "tr": "Toplantı yarın saat dokuzda kütüphanede başlıyor.",
    "ur": "اجلاس کل صبح نو بجے لائبریری میں شروع ہوگا۔",
    "xh": "Intlanganiso iqala ngomso ngentsimbi yesithoba kwithala leencwadi.",
    "zh-Hans": "会议明天上午九点在图书馆开始。",
    "zu": "Umhlangano uqala kusasa ngehora lesishiyagalolunye emtatsheni wezincwadi.",
}


def build(
    locale: str = "es",
    name: str | None = "José Núñez",
    address: str = "ana@example.com",
    key: str = "wd-0001",
    ref: str = REF,
    settings: EmailSettings = SETTINGS,
    organisation: str = "Red Ejemplo",
    dkim_key: bytes | None = None,
) -> bytes:
    return compose_notice(
        key, ref, locale, address, name, settings, organisation, CREATED, dkim_key
    )


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, page = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(page, EmailMessage)
    return text.get_content(), page.get_content()


def test_every_locale_has_a_banned_list() -> None:
    assert set(LOCALES) <= set(shipped_lists())
    english = banned_words("en")
    for tag in LOCALES:
        words = banned_words(tag)
        assert english <= words
        assert tag == "en" or len(words - english) >= 10, tag


@pytest.mark.parametrize("tag", LOCALES)
def test_catalog_closed_texts_are_neutral(tag: str) -> None:
    loc = localizer(tag)
    assert loc.tag == tag
    check_neutral(phrase(loc, Phrase.CLOSED_SUBJECT, ref=REF), tag)
    check_neutral(phrase(loc, Phrase.CLOSED_BODY, ref=REF), tag)


@pytest.mark.parametrize("tag", LOCALES)
def test_notice_in_every_locale(tag: str) -> None:
    message = parse(build(tag))
    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.walk()]
    assert types == ["multipart/alternative", "text/plain", "text/html"]
    assert not any(t.startswith("image/") for t in types)
    text, page = bodies(message)
    subject = message["Subject"]
    assert REF in subject
    assert REF in text and REF in page
    assert "Red Ejemplo" in text and "Red Ejemplo" in page
    for part in (text, page):
        assert "http" not in part.lower()
        assert "<img" not in part and "<a " not in part and "cid:" not in part
    assert "José" not in text + page  # the recipient's name is only in To
    assert message["Content-Language"] == tag
    assert f'lang="{tag}"' in page
    check_neutral(subject, tag)
    check_neutral(text, tag)
    loc = localizer(tag)
    assert subject == phrase(loc, Phrase.CLOSED_SUBJECT, ref=REF)
    assert text.startswith(phrase(loc, Phrase.CLOSED_BODY, ref=REF))


def test_headers() -> None:
    data = build()
    message = parse(data)
    assert message["From"] == "Red Ejemplo <appeals@example.org>"
    assert message["To"] == "José Núñez <ana@example.com>"
    assert message["Reply-To"] == "Ayuda <help@example.org>"
    assert message["Message-ID"] == "<wd-0001@example.org>"
    assert message["Date"] == "Sat, 28 Nov 2026 09:30:00 +0000"
    assert message["MIME-Version"] == "1.0"
    for absent in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Auto-Submitted"):
        assert message[absent] is None
    assert data.isascii()
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    parts = list(message.walk())[1:]
    assert all(part["MIME-Version"] is None for part in parts)
    assert all(part["Content-Transfer-Encoding"] == "quoted-printable" for part in parts)


def test_arabic_notice_is_right_to_left() -> None:
    _, page = bodies(parse(build("ar")))
    assert 'dir="rtl"' in page
    assert f"<bdi>{REF}</bdi>" in page
    _, page = bodies(parse(build("es")))
    assert 'dir="ltr"' in page


def test_fallback_locale_is_the_one_checked_and_declared() -> None:
    message = parse(build("es-MX"))
    assert message["Content-Language"] == "es"
    assert message["Subject"] == phrase(localizer("es"), Phrase.CLOSED_SUBJECT, ref=REF)
    message = parse(build("pt"))  # no pt catalog: English
    assert message["Content-Language"] == "en"
    assert message["Subject"] == f"Appeal {REF} has been closed"


def test_deterministic() -> None:
    assert build() == build()
    assert build(key="wd-0002") != build()
    first, second = parse(build()), parse(build(key="wd-0002"))
    assert first.get_boundary() != second.get_boundary()
    assert str(first.get_boundary()).startswith("=_alternative_")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ana\r\nBcc: victim@example.net"),
        ("name", "Ana\nX"),
        ("name", "Ana\0"),
        ("address", "ana@example.com\r\nBcc: x@example.net"),
        ("key", "wd-1\r\nX-Evil: 1"),
        ("ref", "K7Q2\r\nX-Evil: 1"),
        ("organisation", "Red\r\nBcc: x@example.net"),
    ],
)
def test_line_breaks_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValueError, match="line break or NUL") as caught:
        build(**{field: value})  # type: ignore[arg-type]
    assert value not in str(caught.value)


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        build(key="wd 1")
    with pytest.raises(ValueError, match="case reference"):
        build(ref="K7Q2 9MXD")
    with pytest.raises(ValueError, match="To"):
        build(address="not an address")
    with pytest.raises(ValueError, match="BCP 47"):
        build(locale="es_MX!")
    with pytest.raises(ValueError, match="time zone"):
        compose_notice(
            "wd-1",
            REF,
            "es",
            "ana@example.com",
            None,
            SETTINGS,
            "Red",
            CREATED.replace(tzinfo=None),
        )


def test_organisation_with_a_banned_word_is_refused() -> None:
    with pytest.raises(NotNeutral) as caught:
        build("en", organisation="Safe Kids Network")
    assert caught.value.word == "safe"


def test_no_name_gives_a_bare_address() -> None:
    assert parse(build(name=None))["To"] == "ana@example.com"


def test_dkim_signed_notice_verifies(tmp_path: Path) -> None:
    pem, record = dkim_keys()

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"mail2026._domainkey.example.org." else None

    settings = replace(SETTINGS, dkim=DkimSettings("mail2026", "example.org", tmp_path / "k.pem"))
    data = build("ar", settings=settings, dkim_key=pem)
    assert data.startswith(b"DKIM-Signature:")
    assert dkim.verify(data, dnsfunc=lookup) is True
    assert build("ar", settings=settings) == build("ar")  # no key: not signed


# --- check_neutral -------------------------------------------------------------------------


def test_english_found_safe_raises() -> None:
    with pytest.raises(NotNeutral, match="found") as caught:
        check_neutral("The child was found safe", "en")
    assert caught.value.word in {"found", "safe"}
    assert "child" not in str(caught.value)  # names the word, not the text


def test_spanish_encontrado_raises() -> None:
    with pytest.raises(NotNeutral, match="encontrado"):
        check_neutral("El niño fue encontrado ayer.", "es")
    with pytest.raises(NotNeutral):
        check_neutral("EL NIÑO FUE ENCONTRADO", "es-MX")


def test_chinese_banned_word_inside_a_sentence_raises() -> None:
    text = (resources.files("campaign.i18n") / "banned" / "zh-Hans.txt").read_text("utf-8")
    words = [w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")]
    assert "找到" in words
    with pytest.raises(NotNeutral, match="找到"):
        check_neutral("编号为K7Q2的孩子已经找到了，谢谢大家。", "zh-Hans")
    for word in words:
        with pytest.raises(NotNeutral):
            check_neutral(f"编号为K7Q2的{word}。", "zh-Hans")


def test_thai_banned_word_inside_a_sentence_raises() -> None:
    with pytest.raises(NotNeutral):
        check_neutral("เด็กคนนี้ปลอดภัยแล้ว", "th")


@pytest.mark.parametrize("tag", LOCALES)
def test_neutral_sentence_passes(tag: str) -> None:
    check_neutral(NEUTRAL[tag], tag)


def test_english_applies_to_every_locale() -> None:
    with pytest.raises(NotNeutral, match="deceased"):
        check_neutral("Le dossier: deceased.", "fr")
    with pytest.raises(NotNeutral, match="found"):
        check_neutral("孩子found了", "zh-Hans")  # next to Han characters, still a word


@pytest.mark.parametrize(
    "text",
    [
        "FOUND",
        "Found.",
        "f\u200bound",  # a zero-width space hiding inside the word
        "found\u200bit",  # …or separating two words
        "safe\u00adly",  # soft hyphen dropped
        "ｆｏｕｎｄ",  # fullwidth, NFKC
        "the child has\u00a0passed   away",  # no-break space and runs of spaces
        "«found»",
        "un-found",  # a hyphen separates words
    ],
)
def test_folding(text: str) -> None:
    with pytest.raises(NotNeutral):
        check_neutral(text, "en")


def test_whole_words_only_in_spaced_scripts() -> None:
    for text in ("The safeguarding team", "Profound thanks", "unfounded", "Tottenham"):
        check_neutral(text, "de" if text == "Tottenham" else "en")
    with pytest.raises(NotNeutral, match="tot"):
        check_neutral("Er ist tot.", "de")


def test_marks_and_variants_are_folded() -> None:
    with pytest.raises(NotNeutral):
        check_neutral("وُجِدَ الطفل", "ar")  # with harakat
    with pytest.raises(NotNeutral):
        check_neutral("הילד ז״ל", "he")  # gershayim instead of a quotation mark
    with pytest.raises(NotNeutral, match="bulundu"):
        check_neutral("ÇOCUK BULUNDU", "tr")  # Turkish dotless I
    with pytest.raises(NotNeutral, match="died"):
        check_neutral("THE CHILD DIED", "tr")


def test_devanagari_word_followed_by_a_vowel_sign_is_another_word() -> None:
    check_neutral("शविर", "hi")  # शव + a vowel sign is not शव
    with pytest.raises(NotNeutral, match="शव"):
        check_neutral("यह शव है", "hi")


def test_banned_words_are_folded_and_cached() -> None:
    words = banned_words("de")
    assert "überreste" in words and "gefunden" in words and "found" in words
    assert banned_words("de") is words
    assert banned_words("de-AT") == words
    assert banned_words("xx") == banned_words("en")
    assert all(word == word.strip() and word for word in words)
