"""One subscriber's digest as the exact bytes handed to SMTP.

The message is deterministic — the same digest, settings and secrets give the same bytes —
so a retry after an unknown outcome resends an identical copy: the Date comes from
``digest.created``, the Message-ID from ``digest.key`` and the MIME boundaries from a hash of
the key. Its shape::

    multipart/mixed                  (only when a poster PDF is attached)
      multipart/alternative
        text/plain
        multipart/related
          text/html                  (banners referenced as cid:banner-REF@DOMAIN)
          image/jpeg | image/png     (one banner per case, inline)
      application/pdf ...

Bodies are quoted-printable or base64, so the message is 7-bit and a DKIM signature survives
relays. Every header value built from data is checked for CR, LF and NUL first."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from typing import Any

from campaign.audience import EmailSettings
from campaign.i18n import localizer
from campaign.i18n.formatting import number
from campaign.i18n.vocabulary import APPEALS, Phrase, count, phrase
from campaign.mail import rendering
from campaign.mail.dkimsign import sign
from campaign.mail.tokens import make_unsubscribe_token
from campaign.packs import Attachment, DigestEntry, EmailDigest

BANNER_TYPES = frozenset({"image/jpeg", "image/png"})
POSTER_TYPES = frozenset({"application/pdf"})
ONE_CLICK = "List-Unsubscribe=One-Click"
_FORBIDDEN = ("\r", "\n", "\0")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(\.{_ATEXT})*")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})+")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNFOLDED = frozenset({"list-unsubscribe", "message-id"})


class _MailPolicy(EmailPolicy):
    """The SMTP policy, except that URL headers fold only between their ``<…>`` items: the
    stdlib would turn a long URL into encoded words, which no mail client follows."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in _UNFOLDED:
            items = str(value).split(", ")
            return f"{name}: " + ("," + self.linesep + " ").join(items) + self.linesep
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in _UNFOLDED:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


POLICY = _MailPolicy(linesep="\r\n")  # email.policy.SMTP, with the folding above


def compose(
    digest: EmailDigest,
    settings: EmailSettings,
    organisation: str,
    unsubscribe_secret: bytes,
    dkim_key: bytes | None = None,
) -> bytes:
    """The RFC 5322 bytes of ``digest`` (DKIM-signed when ``dkim_key`` and ``settings.dkim``)."""
    if not digest.entries:
        raise ValueError("a digest needs at least one case")
    domain = _checked_domain(settings.sender_domain)
    subscriber = digest.subscriber
    to = _mailbox("To", subscriber.name, subscriber.address)  # checked before any other use
    token = make_unsubscribe_token(unsubscribe_secret, subscriber.list_name, subscriber.address)
    links = _unsubscribe_links(settings, token)
    n = len(digest.entries)
    subject = count(localizer(digest.locale), APPEALS, n, number(n, digest.locale))
    context = _context(digest, domain, organisation, subject, links[0])
    msg = EmailMessage(policy=POLICY)
    _headers(msg, digest, settings, to, subject, links)
    text = rendering.render(rendering.TEXT_TEMPLATE, context, settings.templates)
    html = rendering.render(rendering.HTML_TEMPLATE, context, settings.templates)
    _body(msg, digest, domain, text, html)
    _finish_parts(msg, digest.key)
    if not _REF.fullmatch(_checked("Content-Language", digest.locale)):
        raise ValueError("Content-Language: not a language tag")
    msg["Content-Language"] = digest.locale  # after the body: set_content drops Content-*
    data = msg.as_bytes()
    if dkim_key is not None and settings.dkim is not None:
        data = sign(data, settings.dkim, dkim_key)
    return data


def _checked(header: str, value: str) -> str:
    """``value`` when it holds no CR, LF or NUL (the error names the header, not the value)."""
    if any(c in value for c in _FORBIDDEN):
        raise ValueError(f"{header}: the value holds a line break or NUL character")
    return value


def _checked_domain(domain: str) -> str:
    if not _DOMAIN.fullmatch(_checked("From", domain)):
        raise ValueError("From: the sender's domain is not a valid ASCII domain name")
    return domain


def _mailbox(header: str, name: str | None, address: str) -> Address:
    """An ``Address`` for a header; non-ASCII names are encoded when the header is written."""
    _checked(header, name or "")
    local, _, domain = _checked(header, address).rpartition("@")
    if not local.isascii():
        raise ValueError(f"{header}: the address needs SMTPUTF8, which is not used here")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        return Address(display_name=name or "", addr_spec=f"{local}@{ascii_domain}")
    except (ValueError, IndexError, HeaderParseError, UnicodeError):
        raise ValueError(f"{header}: not a valid e-mail address") from None


def _unsubscribe_links(settings: EmailSettings, token: str) -> list[str]:
    """The https URL, then the mailto URL when one is configured."""
    links = [settings.unsubscribe_url.replace("{token}", token)]
    if settings.unsubscribe_mailto:
        address = parseaddr(settings.unsubscribe_mailto)[1]
        links.append(f"mailto:{address}?subject=unsubscribe%20{token}")
    for link in links:
        if not link.isascii() or any(c in link for c in " <>,\r\n\0"):
            raise ValueError("List-Unsubscribe: a link holds a character not allowed there")
    return links


def _headers(
    msg: EmailMessage,
    digest: EmailDigest,
    settings: EmailSettings,
    to: Address,
    subject: str,
    links: list[str],
) -> None:
    subscriber = digest.subscriber
    domain = settings.sender_domain
    msg["From"] = _mailbox("From", *parseaddr(_checked("From", settings.sender)))
    msg["To"] = to
    if settings.reply_to:
        msg["Reply-To"] = _mailbox("Reply-To", *parseaddr(_checked("Reply-To", settings.reply_to)))
    msg["Subject"] = _checked("Subject", subject)
    msg["Date"] = format_datetime(digest.created)
    if not _DOT_ATOM.fullmatch(_checked("Message-ID", digest.key)):
        raise ValueError("Message-ID: the digest key must be letters, digits and .-_ and such")
    msg["Message-ID"] = f"<{digest.key}@{domain}>"
    if not _REF.fullmatch(_checked("List-Id", subscriber.list_name)):
        raise ValueError("List-Id: list names use letters, digits, - and _")
    msg["List-Id"] = f"<{subscriber.list_name}.{domain}>"
    msg["List-Unsubscribe"] = ", ".join(f"<{link}>" for link in links)
    msg["List-Unsubscribe-Post"] = ONE_CLICK


def _url(what: str, value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError(f"{what}: only http and https links go into a message")
    return value


def _cid(entry: DigestEntry, domain: str) -> str:
    if not _REF.fullmatch(_checked("Content-ID", entry.case_ref)):
        raise ValueError("Content-ID: a case reference holds characters not allowed there")
    return f"banner-{entry.case_ref}@{domain}"


def _context(
    digest: EmailDigest, domain: str, organisation: str, subject: str, unsubscribe_url: str
) -> dict[str, Any]:
    """What the templates see."""
    loc = localizer(digest.locale)
    entries = [
        {
            "case_ref": entry.case_ref,
            "alt": entry.alt,
            "url": _url("the case link", entry.url),
            "cid": _cid(entry, domain),
            "lang": entry.locale,
            "dir": localizer(entry.locale).direction,
            "poster_url": _url("the poster link", entry.poster_url),
            "poster_file": entry.poster.filename if entry.poster else None,
        }
        for entry in digest.entries
    ]
    return {
        "lang": digest.locale,
        "dir": loc.direction,
        "subject": subject,
        "organisation": organisation,
        "intro": phrase(loc, Phrase.EMAIL_INTRO),
        "more_info": phrase(loc, Phrase.MORE_INFO),
        "poster_text": phrase(loc, Phrase.EMAIL_POSTER),
        "why": phrase(loc, Phrase.EMAIL_WHY, organisation=organisation),
        "unsubscribe_text": phrase(loc, Phrase.EMAIL_UNSUBSCRIBE),
        "unsubscribe_url": unsubscribe_url,
        "entries": entries,
    }


def _add_file(
    add: Callable[..., None], file: Attachment, allowed: frozenset[str], what: str, **extra: str
) -> None:
    """Add ``file`` (base64) with ``add`` (``add_related`` or ``add_attachment``), checking its
    media type and the name put in its header."""
    if file.media_type not in allowed:
        raise ValueError(f"{what} must be {' or '.join(sorted(allowed))}")
    maintype, _, subtype = file.media_type.partition("/")
    filename = _checked("Content-Disposition", file.filename)
    add(file.data, maintype, subtype, cte="base64", filename=filename, **extra)


def _body(msg: EmailMessage, digest: EmailDigest, domain: str, text: str, html: str) -> None:
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    cids: set[str] = set()
    for entry in digest.entries:
        cid = _cid(entry, domain)
        if cid in cids:
            raise ValueError(f"case {entry.case_ref} appears twice in one digest")
        cids.add(cid)
        _add_file(
            html_part.add_related,
            entry.image,
            BANNER_TYPES,
            "a banner",
            disposition="inline",
            cid=f"<{cid}>",
        )
    for entry in digest.entries:
        if entry.poster is not None:
            _add_file(msg.add_attachment, entry.poster, POSTER_TYPES, "a poster")


def _finish_parts(msg: EmailMessage, key: str) -> None:
    """Boundaries from the digest key (``=_`` never occurs in quoted-printable or base64), and
    no MIME-Version header on the parts (the stdlib adds one to each part it creates)."""
    for index, part in enumerate(msg.walk()):
        if part is not msg:
            del part["MIME-Version"]
        if part.is_multipart():
            seed = hashlib.sha256(f"{key}\0{index}".encode()).hexdigest()[:24]
            part.set_boundary(f"=_{part.get_content_subtype()}_{seed}")
