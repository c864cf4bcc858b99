"""The closure notice: one neutral message telling one recipient that an appeal was withdrawn.

It goes to everyone who may have received the appeal, including people who unsubscribed
since, so it is a transactional message: no ``List-Unsubscribe``, no ``List-Id``. It says only
that the appeal with an opaque reference is closed and asks to remove every copy — no name, no
photo, no link, no reason, and none of the words found / safe / located / deceased: both the
subject and the text are checked against the banned words of the language actually used
(:mod:`campaign.mail.neutral`) before the message is returned. Its shape::

    multipart/alternative
      text/plain
      text/html

Like the digest (:mod:`campaign.mail.compose`) the bytes are deterministic — the Date comes
from ``created``, the Message-ID and the MIME boundary from ``key`` — the bodies are
quoted-printable, and every header value is checked for CR, LF and NUL."""

from __future__ import annotations

import datetime as dt
import html
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from campaign.audience import EmailSettings
from campaign.i18n import localizer
from campaign.i18n.vocabulary import Phrase, phrase
from campaign.mail.compose import (
    _DOT_ATOM,
    _REF,
    POLICY,
    _checked,
    _checked_domain,
    _finish_parts,
    _mailbox,
)
from campaign.mail.dkimsign import sign
from campaign.mail.neutral import check_neutral

__all__ = ["compose_notice"]

_REF_MARK = "\0ref\0"  # stands for the reference while the html text is escaped

HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<title>{subject}</title>
</head>
<body>
<p>{body}</p>
<p>{signature}</p>
</body>
</html>
"""


def compose_notice(
    key: str,
    case_ref: str,
    locale: str,
    address: str,
    name: str | None,
    settings: EmailSettings,
    organisation: str,
    created: dt.datetime,
    dkim_key: bytes | None = None,
) -> bytes:
    """The RFC 5322 bytes of the closure notice of case ``case_ref`` to ``address``, in
    ``locale`` or the locale it falls back to (DKIM-signed when ``dkim_key`` and
    ``settings.dkim``). ``key`` names this notice (the Message-ID is ``<key@sender_domain>``)
    and must differ from every digest key. Raises ``ValueError`` for a value that cannot go
    into the message and :class:`~campaign.mail.neutral.NotNeutral` (a ``ValueError`` too)
    when a text is not neutral."""
    domain = _checked_domain(settings.sender_domain)
    to = _mailbox("To", name, address)  # checked before any other use
    if not _REF.fullmatch(_checked("Subject", case_ref)):
        raise ValueError("Subject: a case reference is letters, digits, '.', '-' and '_'")
    if not _DOT_ATOM.fullmatch(_checked("Message-ID", key)):
        raise ValueError("Message-ID: the notice key must be letters, digits and .-_ and such")
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("Date: the creation time needs a time zone")
    _checked("the organisation's name", organisation)
    loc = localizer(locale)  # ValueError for a malformed tag
    subject = phrase(loc, Phrase.CLOSED_SUBJECT, ref=case_ref)
    body = phrase(loc, Phrase.CLOSED_BODY, ref=case_ref)
    signature = f"— {organisation}"
    text = f"{body}\n\n{signature}\n"
    check_neutral(subject, loc.tag)
    check_neutral(text, loc.tag)

    msg = EmailMessage(policy=POLICY)
    msg["From"] = _mailbox("From", *parseaddr(_checked("From", settings.sender)))
    msg["To"] = to
    if settings.reply_to:
        msg["Reply-To"] = _mailbox("Reply-To", *parseaddr(_checked("Reply-To", settings.reply_to)))
    msg["Subject"] = _checked("Subject", subject)
    msg["Date"] = format_datetime(created)
    msg["Message-ID"] = f"<{key}@{domain}>"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    page = HTML_TEMPLATE.format(
        lang=html.escape(loc.tag),
        dir=loc.direction,
        subject=html.escape(subject),
        body=html.escape(phrase(loc, Phrase.CLOSED_BODY, ref=_REF_MARK)).replace(
            _REF_MARK, f"<bdi>{case_ref}</bdi>"
        ),
        signature=html.escape(signature),
    )
    msg.add_alternative(page, subtype="html", charset="utf-8", cte="quoted-printable")
    _finish_parts(msg, key)
    msg["Content-Language"] = loc.tag  # after the body: set_content drops Content-*
    data = msg.as_bytes()
    if dkim_key is not None and settings.dkim is not None:
        data = sign(data, settings.dkim, dkim_key)
    return data
