"""Every word a person reads on an artefact, marked so ``pybabel extract`` finds it.

Layouts never carry English literals: they ask this module for a headline, a label or a
translated value, given a :class:`~campaign.i18n.Localizer` (or any gettext translations
object). Free text from the case record (names, clothing, description) is not translated here.

``N_`` marks a plain message, ``NC_`` a message with a context (``pybabel`` is told about
``NC_:1c,2`` in ``babel.cfg``). Values that read differently by what they describe — "Brown"
hair and "Brown" eyes are different words in Hindi and Arabic — get their own context.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Protocol

from campaign.models import Category, Eyes, Hair, Sex


def N_(message: str) -> str:
    """Mark ``message`` for extraction; return it unchanged."""
    return message


def NC_(context: str, message: str) -> tuple[str, str]:
    """Mark ``message`` with ``context`` for extraction; return both."""
    return context, message


def NPC_(context: str, singular: str, plural: str) -> tuple[str, str, str]:
    """Mark a plural message with ``context`` for extraction; return all three."""
    return context, singular, plural


class Translator(Protocol):
    """What the lookups need: a ``Localizer`` or a ``gettext.NullTranslations`` both fit."""

    def gettext(self, message: str) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...


class PluralTranslator(Translator, Protocol):
    """Lookups that plural messages need."""

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str: ...


class Label(enum.StrEnum):
    """The keys of :data:`LABELS`."""

    AGE_NOW = "age_now"
    AGE_AT_MISSING = "age_at_missing"
    DATE_OF_BIRTH = "date_of_birth"
    MISSING_SINCE = "missing_since"
    MISSING_FROM = "missing_from"
    SEX = "sex"
    HEIGHT = "height"
    WEIGHT = "weight"
    HAIR = "hair"
    EYES = "eyes"
    CLOTHING = "clothing"
    DISTINGUISHING_MARKS = "distinguishing_marks"
    DESCRIPTION = "description"
    CALL = "call"
    CASE_REF = "case_ref"
    SCAN = "scan"
    AGE_PROGRESSED = "age_progressed"
    ORIGINAL_LANGUAGE = "original_language"


# The headline is the poster's call to action. A runaway is printed as MISSING: the public is
# asked to look for a child at risk, not to judge why the child left. Each headline comes in
# three contexts — "headline" (sex unknown or other: a neutral or inclusive form),
# "headline:female" and "headline:male" — for languages whose adjectives agree with the child.
HEADLINES: Mapping[Category, Mapping[str, tuple[str, str]]] = {
    # Translators: poster headline for a missing child, in capitals where the script has them.
    # "headline" is used when the child's sex is unknown: use a neutral or inclusive form.
    Category.MISSING: {
        "": NC_("headline", "MISSING"),
        # Translators: poster headline for a missing girl (adjective in the feminine).
        "female": NC_("headline:female", "MISSING"),
        # Translators: poster headline for a missing boy (adjective in the masculine).
        "male": NC_("headline:male", "MISSING"),
    },
    # Translators: poster headline for a missing child believed to be in danger.
    Category.ENDANGERED: {
        "": NC_("headline", "ENDANGERED MISSING"),
        "female": NC_("headline:female", "ENDANGERED MISSING"),
        "male": NC_("headline:male", "ENDANGERED MISSING"),
    },
    # Translators: poster headline for a child taken by a parent or another relative.
    Category.FAMILY_ABDUCTION: {
        "": NC_("headline", "FAMILY ABDUCTION"),
        "female": NC_("headline:female", "FAMILY ABDUCTION"),
        "male": NC_("headline:male", "FAMILY ABDUCTION"),
    },
    # Translators: poster headline for a child taken by someone outside the family.
    Category.NONFAMILY_ABDUCTION: {
        "": NC_("headline", "ABDUCTED"),
        "female": NC_("headline:female", "ABDUCTED"),
        "male": NC_("headline:male", "ABDUCTED"),
    },
}
HEADLINES = {**HEADLINES, Category.RUNAWAY: HEADLINES[Category.MISSING]}

LABELS: Mapping[Label, str] = {
    # Translators: label before the child's age today, e.g. "Age now: 12".
    Label.AGE_NOW: N_("Age now"),
    # Translators: label before the child's age on the day they went missing.
    Label.AGE_AT_MISSING: N_("Age at disappearance"),
    Label.DATE_OF_BIRTH: N_("Date of birth"),
    # Translators: label before a date, e.g. "Missing since: 3 March 2026".
    Label.MISSING_SINCE: N_("Missing since"),
    # Translators: label before a place, e.g. "Missing from: Guadalajara, Jalisco".
    Label.MISSING_FROM: N_("Missing from"),
    Label.SEX: N_("Sex"),
    Label.HEIGHT: N_("Height"),
    Label.WEIGHT: N_("Weight"),
    # Translators: label before the hair colour (values have the context "hair").
    Label.HAIR: N_("Hair"),
    # Translators: label before the eye colour (values have the context "eyes").
    Label.EYES: N_("Eyes"),
    # Translators: label before what the child was wearing when last seen.
    Label.CLOTHING: N_("Clothing"),
    # Translators: label before scars, birthmarks, glasses, braces and the like.
    Label.DISTINGUISHING_MARKS: N_("Distinguishing marks"),
    Label.DESCRIPTION: N_("Description"),
    # Translators: followed by one or more phone numbers, e.g. "... call 116 000".
    Label.CALL: N_("If you have information, call"),
    # Translators: label before a short opaque code such as K7Q2-9MXD printed on the poster.
    Label.CASE_REF: N_("Case reference"),
    # Translators: caption beside a QR code that opens the case's web page.
    Label.SCAN: N_("Scan for the latest information"),
    # Translators: caption under an age-progressed image; {age} is a whole number of years.
    # Keep {age} exactly as written.
    Label.AGE_PROGRESSED: N_("Age-progressed to {age}"),
    # Translators: follows a description printed untranslated, in the language it was written in.
    Label.ORIGINAL_LANGUAGE: N_("(original language)"),
}

SEXES: Mapping[Sex, tuple[str, str]] = {
    # Translators: the child's sex, shown after the label "Sex".
    Sex.FEMALE: NC_("sex", "Female"),
    Sex.MALE: NC_("sex", "Male"),
    Sex.OTHER: NC_("sex", "Other"),
    Sex.UNKNOWN: NC_("sex", "Unknown"),
}

HAIR: Mapping[Hair, tuple[str, str]] = {
    # Translators: a hair colour, shown after the label "Hair".
    Hair.BLACK: NC_("hair", "Black"),
    Hair.BROWN: NC_("hair", "Brown"),
    Hair.BLONDE: NC_("hair", "Blonde"),
    Hair.RED: NC_("hair", "Red"),
    Hair.GREY: NC_("hair", "Grey"),
    Hair.WHITE: NC_("hair", "White"),
    # Translators: shown after the label "Hair" when the child has no hair.
    Hair.BALD: NC_("hair", "Bald"),
    Hair.OTHER: NC_("hair", "Other"),
}

EYES: Mapping[Eyes, tuple[str, str]] = {
    # Translators: an eye colour, shown after the label "Eyes".
    Eyes.BROWN: NC_("eyes", "Brown"),
    Eyes.BLUE: NC_("eyes", "Blue"),
    Eyes.GREEN: NC_("eyes", "Green"),
    # Translators: eye colour between light brown and green.
    Eyes.HAZEL: NC_("eyes", "Hazel"),
    Eyes.GREY: NC_("eyes", "Grey"),
    Eyes.BLACK: NC_("eyes", "Black"),
    Eyes.OTHER: NC_("eyes", "Other"),
}


class Phrase(enum.StrEnum):
    """The keys of :data:`PHRASES`: sentences and short texts of banners, alerts, email,
    partner packs and withdrawal notices. Placeholders in braces stay as they are."""

    CALL_SHORT = "call_short"
    LAST_SEEN = "last_seen"
    SINCE = "since"
    MORE_INFO = "more_info"
    ALT_TEXT = "alt_text"
    EMAIL_INTRO = "email_intro"
    EMAIL_WHY = "email_why"
    EMAIL_UNSUBSCRIBE = "email_unsubscribe"
    EMAIL_POSTER = "email_poster"
    CLOSED_SUBJECT = "closed_subject"
    CLOSED_BODY = "closed_body"
    PACK_TERMS = "pack_terms"


PHRASES: Mapping[Phrase, str] = {
    # Translators: a short call to action on small banners and text alerts; {phone} is a number.
    Phrase.CALL_SHORT: N_("Call {phone}"),
    # Translators: where the child was last seen; {place} is a town, region and country.
    Phrase.LAST_SEEN: N_("Last seen in {place}"),
    # Translators: {date} is a date written out, e.g. "1 March 2026".
    Phrase.SINCE: N_("Missing since {date}"),
    # Translators: link text that opens the case's web page.
    Phrase.MORE_INFO: N_("More information"),
    # Translators: alternative text of an appeal image for blind readers: one sentence.
    # {name} is the child's name, {age} e.g. "12 years", {date} a date, {place} a place.
    Phrase.ALT_TEXT: N_(
        "Appeal for a missing child: {name}, {age}, missing since {date} from {place}."
    ),
    # Translators: first sentence of the appeals email.
    Phrase.EMAIL_INTRO: N_("Please look at these appeals and share them if you can."),
    # Translators: email footer; {organisation} is the sending organisation's name.
    Phrase.EMAIL_WHY: N_(
        "You receive these appeals because you subscribed to alerts from {organisation}."
    ),
    # Translators: link text in the email footer.
    Phrase.EMAIL_UNSUBSCRIBE: N_("Unsubscribe"),
    # Translators: link to the printable poster attached to or linked from the email.
    Phrase.EMAIL_POSTER: N_("Open the printable poster (PDF)"),
    # Translators: subject of the notice sent when an appeal is withdrawn. Must stay neutral:
    # never say found, safe, located or deceased. {ref} is a code such as K7Q2-9MXD.
    Phrase.CLOSED_SUBJECT: N_("Appeal {ref} has been closed"),
    # Translators: body of the withdrawal notice. Neutral: never say found, safe, located or
    # deceased, and do not guess why the appeal ended.
    Phrase.CLOSED_BODY: N_(
        "The appeal with reference {ref} has been closed. Please remove it "
        "from everywhere you published it and delete all copies, including "
        "printed ones. Thank you for your help."
    ),
    # Translators: the terms printed in the README of a partner's poster pack.
    Phrase.PACK_TERMS: N_(
        "These files are published by {organisation}. Use them only as they "
        "are: do not alter, crop, translate or re-caption them. The checksum "
        "of every file is listed in manifest.json."
    ),
}

# Plural messages: (context, singular, plural). English forms; translators give every CLDR form.
# Translators: an age, e.g. "12 years".
YEARS = NPC_("age", "{n} year", "{n} years")
# Translators: a duration, e.g. "3 days".
DAYS = NPC_("duration", "{n} day", "{n} days")
# Translators: the subject of the appeals email, e.g. "3 missing child appeals".
APPEALS = NPC_("email", "{n} missing child appeal", "{n} missing child appeals")


def _lookup(loc: Translator, entry: tuple[str, str]) -> str:
    context, message = entry
    return loc.pgettext(context, message)


def headline(loc: Translator, category: Category | str, sex: Sex | str = Sex.UNKNOWN) -> str:
    """The poster headline for a case ``category``, agreeing with the child's ``sex``."""
    forms = HEADLINES[Category(category)]
    return _lookup(loc, forms.get(Sex(sex).value, forms[""]))


def phrase(loc: Translator, key: Phrase | str, **values: object) -> str:
    """A sentence or short text by key; ``values`` fill its placeholders."""
    text = loc.gettext(PHRASES[Phrase(key)])
    return text.format(**values) if values else text


def count(loc: PluralTranslator, message: tuple[str, str, str], n: int, shown: str) -> str:
    """A plural message (``YEARS``, ``DAYS``, ``APPEALS``) for ``n``, with ``shown`` — ``n``
    formatted for the locale — in place of ``{n}``."""
    context, singular, plural = message
    return loc.npgettext(context, singular, plural, n).format(n=shown)


def label(loc: Translator, key: Label | str, **values: object) -> str:
    """A label by key (``"missing_since"``); ``values`` fill placeholders such as ``{age}``."""
    text = loc.gettext(LABELS[Label(key)])
    return text.format(**values) if values else text


def sex(loc: Translator, value: Sex | str) -> str:
    """The translated name of a ``sex`` value."""
    return _lookup(loc, SEXES[Sex(value)])


def hair(loc: Translator, value: Hair | str) -> str:
    """The translated name of a hair colour."""
    return _lookup(loc, HAIR[Hair(value)])


def eyes(loc: Translator, value: Eyes | str) -> str:
    """The translated name of an eye colour."""
    return _lookup(loc, EYES[Eyes(value)])
