"""Alerts: a CAP 1.2 document, and the short texts of WEA, SMS and social posts.

Rendering is pure: :func:`cap` and :func:`cancel` take the envelope (sender, identifier, sent
time, message type, references) as an input, so a build can write ``cap.xml`` without
publishing anything. Publishing — choosing Alert, Update or Cancel from what the state database
says was published before, and recording the new message — is :func:`publish_cap`, which only
``campaign alert --format cap`` calls.

How a case's ``category`` becomes CAP fields (every ``<info>``: ``<category>Rescue</category>``,
``<responseType>Monitor</responseType>``; ``<event>`` is the localized poster headline):

| category              | urgency   | severity | certainty | eventCode (SAME) |
|-----------------------|-----------|----------|-----------|------------------|
| `nonfamily_abduction` | Immediate | Severe   | Likely    | `CAE`            |
| `family_abduction`    | Immediate | Moderate | Likely    | `CAE`            |
| `endangered`          | Immediate | Severe   | Observed  | —                |
| `missing`             | Expected  | Moderate | Observed  | —                |
| `runaway`             | Expected  | Moderate | Observed  | —                |

Why: an abduction asks the public to act now (Immediate); a stranger abduction threatens life
(Severe), a family abduction usually not bodily harm but still the child's safety (Moderate);
both are the authority's assessment, not something seen (Likely). An endangered child is known
to be missing (Observed) and at risk to life (Severe), so Immediate. A missing child or a
runaway — printed under the same MISSING headline — is known to be missing (Observed), with a
possible threat (Moderate), and the public is asked to watch for the child (Expected). ``CAE``
(Child Abduction Emergency) is only for abductions.

Message: ``status`` Actual; ``msgType`` Alert, Update when the case was published before and its
content changed, Cancel when the case is resolved; ``scope`` Public (Restricted, with a
``<restriction>``, for ``publicity = restricted``). A Cancel is neutral: it references every
message since the last Cancel and carries only the closure notice (no name, photo or place).
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from campaign.config import Config
from campaign.i18n import localizer
from campaign.i18n import vocabulary as vocab
from campaign.i18n.vocabulary import Phrase
from campaign.layouts import shorttext
from campaign.layouts.alert_text import (
    WEA_LONG,
    WEA_SHORT,
    AlertContext,
    Words,
    each_language,
    fitted,
    language_of,
    link,
)
from campaign.models import Case, Category, Publicity

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
KIND = "cap"
FORMATS = ("cap", "wea", "sms", "social")
RESTRICTION = "Authorised partners only: not for public broadcast or posting."


@dataclass(frozen=True)
class CapProfile:
    urgency: str
    severity: str
    certainty: str
    abduction: bool  # SAME event code CAE


PROFILES: Mapping[Category, CapProfile] = {
    Category.NONFAMILY_ABDUCTION: CapProfile("Immediate", "Severe", "Likely", True),
    Category.FAMILY_ABDUCTION: CapProfile("Immediate", "Moderate", "Likely", True),
    Category.ENDANGERED: CapProfile("Immediate", "Severe", "Observed", False),
    Category.MISSING: CapProfile("Expected", "Moderate", "Observed", False),
    Category.RUNAWAY: CapProfile("Expected", "Moderate", "Observed", False),
}


@dataclass(frozen=True)
class Envelope:
    """The message-level fields that make a rendered document one particular message."""

    sender: str
    identifier: str
    sent: dt.datetime
    msg_type: str = "Alert"
    references: tuple[str, ...] = ()
    status: str = "Actual"  # "Draft" for a build's preview copy, which nobody has published


def cap_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC to the second (CAP writes ``+00:00``; the schema refuses ``Z``)."""
    if moment.utcoffset() is None:
        raise ValueError("CAP times need an explicit offset")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def envelope(
    sender: str,
    case_ref: str,
    sent: dt.datetime,
    msg_type: str = "Alert",
    references: tuple[str, ...] = (),
) -> Envelope:
    """An envelope whose identifier is ``{sender domain}.{case_ref}.{YYYYMMDDTHHMMSSZ}``."""
    when = cap_time(sent)
    domain = sender.rpartition("@")[2]
    identifier = f"{domain}.{case_ref}.{when:%Y%m%dT%H%M%SZ}"
    return Envelope(sender, identifier, when, msg_type, references)


def build_envelope(config: Config, case: Case, as_of: dt.date) -> Envelope:
    """The envelope of a build's ``cap.xml``: status Draft (a preview: it is not recorded, so it
    could never be cancelled — ``campaign alert`` publishes), sent at midnight UTC of ``as_of``
    (deterministic)."""
    sent = dt.datetime.combine(as_of, dt.time(), dt.UTC)
    return replace(envelope(config.cap_sender, case.case_ref, sent), status="Draft")


# --- short texts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LocaleTexts:
    """The short texts of one language: WEA (90/360), an SMS (≤ 2 segments), a post (≤ 280)."""

    locale: str
    wea: str
    wea_long: str
    sms: str
    sms_count: shorttext.SmsCount
    social: str
    social_length: int

    def to_dict(self) -> dict[str, Any]:
        sms = self.sms_count
        return {
            "locale": self.locale,
            "wea": {"cmam_text": self.wea, "cmam_long_text": self.wea_long},
            "sms": {
                "text": self.sms,
                "encoding": sms.encoding,
                "units": sms.units,
                "segments": sms.segments,
            },
            "social": {"text": self.social, "length": self.social_length},
        }


def locale_texts(case: Case, said: Words, config: Config) -> LocaleTexts:
    wea_url = link(case, config, "wea", said.tag)
    sms = fitted(
        said,
        link(case, config, "sms", said.tag),
        shorttext.SMS_MAX_SEGMENTS,
        shorttext.sms_segments,
    )
    social = fitted(
        said, link(case, config, "social", said.tag), shorttext.POST_LIMIT, shorttext.post_length
    )
    return LocaleTexts(
        locale=said.language,
        wea=fitted(said, wea_url, WEA_SHORT),
        wea_long=fitted(said, wea_url, WEA_LONG),
        sms=sms,
        sms_count=shorttext.sms_count(sms),
        social=social,
        social_length=shorttext.post_length(social),
    )


def texts(case: Case, ctx: AlertContext) -> tuple[LocaleTexts, ...]:
    """The WEA, SMS and social texts of ``case`` in each of its languages."""
    return tuple(locale_texts(case, said, ctx.config) for said in each_language(case, ctx))


def texts_json(case: Case, ctx: AlertContext) -> bytes:
    """``texts.json`` of a build: the short texts per language with their counts."""
    data = {
        "version": 1,
        "case_ref": case.case_ref,
        "locales": [item.to_dict() for item in texts(case, ctx)],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- CAP -----------------------------------------------------------------------------------


def _el(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
    child.text = text
    return child


def _pair(parent: ET.Element, name: str, value_name: str, value: str) -> None:
    element = _el(parent, name)
    _el(element, "valueName", value_name)
    _el(element, "value", value)


def _alert(env: Envelope, scope: str) -> ET.Element:
    root = ET.Element(f"{{{CAP_NS}}}alert")
    for name, value in (
        ("identifier", env.identifier),
        ("sender", env.sender),
        ("sent", cap_time(env.sent).isoformat()),
        ("status", env.status),
        ("msgType", env.msg_type),
        ("scope", scope),
    ):
        _el(root, name, value)
    if scope == "Restricted":
        _el(root, "restriction", RESTRICTION)
    if env.references:
        _el(root, "references", " ".join(env.references))
    return root


def _info_head(root: ET.Element, said: Words, case: Case, profile: CapProfile) -> ET.Element:
    info = _el(root, "info")
    _el(info, "language", said.language)
    _el(info, "category", "Rescue")
    _el(info, "event", said.headline)
    _el(info, "responseType", "None" if profile.urgency == "Past" else "Monitor")
    _el(info, "urgency", profile.urgency)
    _el(info, "severity", profile.severity)
    _el(info, "certainty", profile.certainty)
    if PROFILES[case.category].abduction:
        _pair(info, "eventCode", "SAME", "CAE")
    return info


def _info(root: ET.Element, case: Case, said: Words, ctx: AlertContext) -> None:
    config = ctx.config
    info = _info_head(root, said, case, PROFILES[case.category])
    _el(info, "senderName", config.organisation)
    _el(info, "headline", f"{said.headline} — {said.name}")
    _el(info, "description", said.description)
    if said.instruction:
        _el(info, "instruction", said.instruction)
    _el(info, "web", link(case, config, "cap", said.tag))
    if said.contact:
        _el(info, "contact", said.contact)
    wea_url = link(case, config, "wea", said.tag)
    _pair(info, "parameter", "CMAMtext", fitted(said, wea_url, WEA_SHORT))
    _pair(info, "parameter", "CMAMlongtext", fitted(said, wea_url, WEA_LONG))
    if config.photo_url:
        resource = _el(info, "resource")
        _el(resource, "resourceDesc", "Photo")
        _el(resource, "mimeType", "image/jpeg")
        _el(resource, "uri", config.photo_url.replace("{ref}", quote(case.case_ref, safe="")))
    _area(info, case, said, config)


def _area(info: ET.Element, case: Case, said: Words, config: Config) -> None:
    if not said.place:
        return
    area = _el(info, "area")
    _el(area, "areaDesc", said.place)
    if case.lat is not None and case.lon is not None:
        _el(
            area,
            "circle",
            f"{_number(case.lat)},{_number(case.lon)} {_number(config.cap_radius_km)}",
        )


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _document(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", default_namespace=CAP_NS)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def cap(case: Case, ctx: AlertContext, env: Envelope) -> bytes:
    """The CAP 1.2 Alert/Update of ``case``: one ``<info>`` per language. Pure."""
    root = _alert(env, _scope(case))
    for said in each_language(case, ctx):
        _info(root, case, said, ctx)
    return _document(root)


def cancel(case: Case, ctx: AlertContext, env: Envelope) -> bytes:
    """The neutral CAP Cancel of ``case`` in ``ctx.locales``: the closure notice only — no
    name, photo, place or link. ``env`` references the messages it cancels. Pure."""
    root = _alert(env, _scope(case))
    closed = CapProfile("Past", "Unknown", "Unknown", False)
    seen: set[str] = set()
    for tag in ctx.locales:
        loc = localizer(tag)
        language = language_of(loc)
        if language.lower() in seen:
            continue
        seen.add(language.lower())
        headline = vocab.headline(loc, case.category, case.sex)
        said = Words(language, tag, headline, "", None, None, None, None, None, None, "")
        info = _info_head(root, said, case, closed)
        _el(info, "senderName", ctx.config.organisation)
        _el(info, "headline", vocab.phrase(loc, Phrase.CLOSED_SUBJECT, ref=case.case_ref))
        _el(info, "description", vocab.phrase(loc, Phrase.CLOSED_BODY, ref=case.case_ref))
    return _document(root)


def _scope(case: Case) -> str:
    return "Restricted" if case.publicity is Publicity.RESTRICTED else "Public"


# --- a build's alert files -----------------------------------------------------------------


@dataclass(frozen=True)
class AlertFile:
    """One file of ``DIR/<case_id>/alerts/``."""

    name: str
    format: str
    media_type: str
    data: bytes


def build_files(case: Case, ctx: AlertContext) -> list[AlertFile]:
    """``cap.xml`` (with :func:`build_envelope`; nothing is published or recorded) and, for a
    case whose publicity is public, ``texts.json``."""
    env = build_envelope(ctx.config, case, ctx.as_of)
    found = [AlertFile("cap.xml", "alert-cap", "application/cap+xml", cap(case, ctx, env))]
    if case.publicity is Publicity.PUBLIC:
        found.append(
            AlertFile("texts.json", "alert-texts", "application/json", texts_json(case, ctx))
        )
    return found


def describe(items: Sequence[LocaleTexts], fmt: str) -> str:
    """The ``fmt`` texts (``wea``, ``sms``, ``social``) as ``campaign alert`` prints them: a
    line naming the language and the counts, then the text; blank lines between."""
    blocks = [block for item in items for block in _blocks(item, fmt)]
    return "\n\n".join(blocks) + "\n"


def _blocks(item: LocaleTexts, fmt: str) -> list[str]:
    if fmt == "wea":
        return [
            f"[{item.locale}] WEA {limit}: {len(text)}/{limit} characters\n{text}"
            for limit, text in ((WEA_SHORT, item.wea), (WEA_LONG, item.wea_long))
        ]
    if fmt == "sms":
        count = item.sms_count
        noun = "segment" if count.segments == 1 else "segments"
        units = "septets" if count.encoding == "GSM-7" else "UTF-16 units"
        head = f"SMS: {count.segments} {noun} ({count.encoding}, {count.units} {units})"
        return [f"[{item.locale}] {head}\n{item.sms}"]
    limit = shorttext.POST_LIMIT
    return [f"[{item.locale}] post: {item.social_length}/{limit} (a link counts 23)\n{item.social}"]
