"""compose(): MIME structure, headers, localization, escaping, determinism, overrides."""

from __future__ import annotations

import datetime as dt
import email.policy
import io
import re
from dataclasses import replace
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from PIL import Image

from campaign.audience import Area, EmailSettings, Subscriber
from campaign.errors import ConfigError
from campaign.mail.compose import compose
from campaign.mail.tokens import verify_unsubscribe_token
from campaign.packs import Attachment, DigestEntry, EmailDigest

SECRET = b"test-unsubscribe-secret"
CREATED = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% fake poster\n" + bytes(range(256)) + b"\n%%EOF\n"


def image_bytes(fmt: str, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 25), colour).save(buffer, fmt)
    return buffer.getvalue()


def entry(ref: str = "K7Q2-9MXD", fmt: str = "JPEG", **changes: object) -> DigestEntry:
    suffix, media = ("jpg", "image/jpeg") if fmt == "JPEG" else ("png", "image/png")
    base = DigestEntry(
        case_ref=ref,
        locale="es",
        alt=f"Aviso {ref}: Ana Ejemplo, 12 años, desaparecida desde el 1 de marzo de 2026.",
        url=f"https://example.org/c/{ref}?utm_source=email",
        image=Attachment(f"banner-{ref}.{suffix}", media, image_bytes(fmt)),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def poster(ref: str = "K7Q2-9MXD") -> Attachment:
    return Attachment(f"poster-{ref}.pdf", "application/pdf", PDF)


def subscriber(name: str | None = "José Núñez", address: str = "ana@example.com") -> Subscriber:
    return Subscriber(address, name, "es", Area(), dt.date(2026, 1, 1), "appeals-mx", 2)


def digest(
    entries: tuple[DigestEntry, ...] | None = None,
    locale: str = "es",
    sub: Subscriber | None = None,
    key: str = "dg-0001",
) -> EmailDigest:
    return EmailDigest(key, sub or subscriber(), locale, entries or (entry(),), CREATED)


SETTINGS = EmailSettings(
    sender="Red Ejemplo <appeals@example.org>",
    unsubscribe_url="https://example.org/unsubscribe?token={token}",
    unsubscribe_mailto="unsubscribe@example.org",
)


def build(d: EmailDigest | None = None, settings: EmailSettings = SETTINGS) -> bytes:
    return compose(d or digest(), settings, "Red Ejemplo", SECRET)


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_structure_with_attached_posters_and_inline_banners() -> None:
    entries = (entry("K7Q2-9MXD", poster=poster("K7Q2-9MXD")), entry("M3PX-4TZ8", fmt="PNG"))
    message = parse(build(digest(entries)))
    assert message.get_content_type() == "multipart/mixed"
    alternative, pdf = list(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = list(alternative.iter_parts())
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *banners = list(related.iter_parts())
    assert html_part.get_content_type() == "text/html"
    assert [b.get_content_type() for b in banners] == ["image/jpeg", "image/png"]
    assert [b.get_content() for b in banners] == [e.image.data for e in entries]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "poster-K7Q2-9MXD.pdf"
    assert pdf.get_content() == PDF
    cids = set(re.findall(r'src="cid:([^"]+)"', html_of(message)))
    assert cids == {"banner-K7Q2-9MXD@example.org", "banner-M3PX-4TZ8@example.org"}
    assert {str(b["Content-ID"]).strip("<>") for b in banners} == cids
    assert "poster-K7Q2-9MXD.pdf" in text_of(message)


def test_without_an_attached_poster_the_top_is_alternative_and_posters_are_linked() -> None:
    linked = entry(poster_url="https://example.org/p/K7Q2-9MXD.pdf")
    message = parse(build(digest((linked,))))
    assert message.get_content_type() == "multipart/alternative"
    assert 'href="https://example.org/p/K7Q2-9MXD.pdf"' in html_of(message)
    assert "Abrir el cartel para imprimir (PDF)" in html_of(message)
    assert "https://example.org/p/K7Q2-9MXD.pdf" in text_of(message)


def test_headers() -> None:
    settings = replace(SETTINGS, reply_to="Ayuda <help@example.org>")
    message = parse(compose(digest(), settings, "Red Ejemplo", SECRET))
    assert message["Message-ID"] == "<dg-0001@example.org>"
    assert message["Date"] == "Sat, 28 Nov 2026 09:30:00 +0000"
    assert message["From"] == "Red Ejemplo <appeals@example.org>"
    assert message["To"].addresses[0].display_name == "José Núñez"
    assert message["To"].addresses[0].addr_spec == "ana@example.com"
    assert message["Reply-To"] == "Ayuda <help@example.org>"
    assert message["MIME-Version"] == "1.0"
    assert message["Content-Language"] == "es"
    assert message["List-Id"] == "<appeals-mx.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert https.startswith("https://example.org/unsubscribe?token=")
    token = https.split("token=", 1)[1]
    assert verify_unsubscribe_token(token, SECRET) == ("appeals-mx", "ana@example.com")
    assert mailto == f"mailto:unsubscribe@example.org?subject=unsubscribe%20{token}"
    assert token in html_of(message)


def test_no_mailto_without_setting_and_no_reply_to() -> None:
    message = parse(build(settings=replace(SETTINGS, unsubscribe_mailto=None)))
    assert str(message["List-Unsubscribe"]).count("<") == 1
    assert "Reply-To" not in message


def test_bytes_are_seven_bit_with_crlf_lines() -> None:
    data = build(digest((entry(poster=poster()),)))
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"=?utf-8?" in data.split(b"\r\n\r\n", 1)[0]  # the non-ASCII name is encoded


@pytest.mark.parametrize(
    ("n", "subject"),
    [(1, "1 aviso de menor desaparecido"), (3, "3 avisos de menores desaparecidos")],
)
def test_subject_is_localized_with_plurals(n: int, subject: str) -> None:
    entries = tuple(entry(f"K7Q2-9MX{i}") for i in range(n))
    assert parse(build(digest(entries)))["Subject"] == subject


def test_english_subject_and_body() -> None:
    message = parse(build(digest(locale="en")))
    assert message["Subject"] == "1 missing child appeal"
    assert "More information" in text_of(message)
    assert "subscribed to alerts from Red Ejemplo" in html_of(message)


def test_right_to_left_locale() -> None:
    ar_entry = entry(locale="ar", alt="نداء للبحث عن طفلة مفقودة.")
    message = parse(build(digest((ar_entry,), locale="ar")))
    html = html_of(message)
    assert re.search(r'<html lang="ar" dir="rtl">', html)
    assert 'lang="ar" dir="rtl"' in html
    assert parse(build())["Content-Language"] == "es"
    assert 'dir="ltr"' in html_of(parse(build()))


def test_html_is_escaped_and_text_is_literal() -> None:
    hostile = entry(alt='Aviso <script>alert("x")</script> & más')
    message = parse(build(digest((hostile,))))
    assert "<script>" not in html_of(message)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; más" in html_of(message)
    assert 'Aviso <script>alert("x")</script> & más' in text_of(message)


def test_line_breaks_in_values_cannot_forge_text_lines() -> None:
    forged = entry(alt="Aviso\nUnsubscribe: https://evil.example/")
    text = text_of(parse(build(digest((forged,)))))
    assert "\nUnsubscribe: https://evil.example/" not in text
    assert "Aviso Unsubscribe: https://evil.example/" in text


def test_same_inputs_give_the_same_bytes() -> None:
    d = digest((entry(poster=poster()), entry("M3PX-4TZ8", fmt="PNG")))
    assert build(d) == build(d)
    assert build(d) != build(replace(d, key="dg-0002"))


@pytest.mark.parametrize(
    "sub",
    [
        subscriber(name="Ana\r\nBcc: victim@example.net"),
        subscriber(name="Ana\nEjemplo"),
        subscriber(address="ana@example.com\r\nBcc: victim@example.net"),
        subscriber(address="ana\0@example.com"),
    ],
)
def test_line_breaks_in_header_values_are_refused(sub: Subscriber) -> None:
    with pytest.raises(ValueError, match="^To: ") as caught:
        build(digest(sub=sub))
    assert "example.com" not in str(caught.value)


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        build(digest(key="dg 0001"))
    with pytest.raises(ValueError, match="banner"):
        gif = Attachment("banner.gif", "image/gif", b"GIF89a")
        build(digest((entry(image=gif),)))
    with pytest.raises(ValueError, match="link"):
        build(digest((entry(url="javascript:alert(1)"),)))
    with pytest.raises(ValueError, match="twice"):
        build(digest((entry(), entry())))
    with pytest.raises(ValueError, match="From"):
        build(settings=replace(SETTINGS, sender="Red <appeals@example.org>\r\nBcc: x@y.z"))


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_an_override_template_is_used(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "t",
        "digest.html.j2",
        '<p>{{ organisation }}</p>{% for e in entries %}<img src="cid:{{ e.cid }}" '
        'alt="{{ e.alt }}">{% endfor %}<a href="{{ unsubscribe_url }}">x</a>',
    )
    settings = replace(SETTINGS, templates=folder)
    hostile = entry(alt="<b>bold</b>")
    message = parse(compose(digest((hostile,)), settings, "Red & Co", SECRET))
    assert html_of(message).startswith("<p>Red &amp; Co</p>")
    assert 'alt="&lt;b&gt;bold&lt;/b&gt;"' in html_of(message)
    assert "Más información" in text_of(message)  # the built-in text template


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("line one\n{{ ''.__class__.__mro__ }}\n", r"digest\.html\.j2:2: not allowed"),
        ("{{ intro }}\n\n{{ no_such_value }}\n", r"digest\.html\.j2:3: template error"),
        ("{% for e in entries %}\n{{ e.alt }\n", r"digest\.html\.j2:2: template syntax error"),
    ],
)
def test_bad_override_templates_raise_config_errors(
    tmp_path: Path, template: str, expected: str
) -> None:
    folder = write(tmp_path / "t", "digest.html.j2", template)
    with pytest.raises(ConfigError, match=expected):
        build(settings=replace(SETTINGS, templates=folder))


def test_a_text_override_runs_in_the_sandbox(tmp_path: Path) -> None:
    folder = write(tmp_path / "t", "digest.txt.j2", "{{ entries.append(1) }}")
    with pytest.raises(ConfigError, match="digest.txt.j2"):
        build(settings=replace(SETTINGS, templates=folder))


def test_a_missing_override_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="templates"):
        build(settings=replace(SETTINGS, templates=tmp_path / "missing"))
