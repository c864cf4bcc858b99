"""The case record's fields (docs/case-record.md): which exist, which are required, which are
private, and what form each takes."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from campaign.models import Category, Eyes, Hair, Publicity, Sex, Status


class Kind(enum.Enum):
    """How a field's text is read and checked."""

    IDENT = "ident"  # the case_id pattern
    LINE = "line"  # one line of text: no control characters at all
    TEXT = "text"  # free text: tab and line breaks allowed, other controls not
    DATE = "date"  # YYYY-MM-DD
    MOMENT = "moment"  # YYYY-MM-DD or YYYY-MM-DDTHH:MM, not in the future
    PARTIAL_DATE = "partial"  # YYYY, YYYY-MM or YYYY-MM-DD
    COUNTRY = "country"  # ISO 3166-1 alpha-2
    REGION = "region"  # ISO 3166-2
    CHOICE = "choice"  # one of an enum's values
    NUMBER = "number"  # decimal within a range
    INTEGER = "integer"  # whole number within a range
    AGE = "age"  # whole years, or a range such as 35-45
    NAMES = "names"  # ;-separated list
    LOCALE = "locale"  # one BCP 47 tag
    LOCALES = "locales"  # space- or comma-separated BCP 47 tags
    CONSENT = "consent"  # yes → authorised; anything else blocks publication
    PHOTO = "photo"  # a path inside the cases folder, or an https URL


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    choices: type[enum.Enum] | None = None
    low: float | None = None
    high: float | None = None


def _spec(
    name: str,
    kind: Kind,
    choices: type[enum.Enum] | None = None,
    low: float | None = None,
    high: float | None = None,
) -> FieldSpec:
    return FieldSpec(name, kind, choices, low, high)


PUBLIC_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _spec("case_id", Kind.IDENT),
        _spec("given_name", Kind.LINE),
        _spec("family_name", Kind.LINE),
        _spec("missing_since", Kind.MOMENT),
        _spec("missing_country", Kind.COUNTRY),
        _spec("photo", Kind.PHOTO),
        _spec("authority_ref", Kind.LINE),
        _spec("consent", Kind.CONSENT),
        _spec("status", Kind.CHOICE, Status),
        _spec("category", Kind.CHOICE, Category),
        _spec("publicity", Kind.CHOICE, Publicity),
        _spec("full_name", Kind.LINE),
        _spec("alternate_names", Kind.NAMES),
        _spec("sex", Kind.CHOICE, Sex),
        _spec("date_of_birth", Kind.PARTIAL_DATE),
        _spec("age_at_missing", Kind.AGE, low=0, high=120),
        _spec("missing_city", Kind.LINE),
        _spec("missing_region", Kind.LINE),
        _spec("missing_region_code", Kind.REGION),
        _spec("lat", Kind.NUMBER, low=-90, high=90),
        _spec("lon", Kind.NUMBER, low=-180, high=180),
        _spec("height_cm", Kind.NUMBER, low=30, high=250),
        _spec("weight_kg", Kind.NUMBER, low=1, high=300),
        _spec("hair", Kind.CHOICE, Hair),
        _spec("eyes", Kind.CHOICE, Eyes),
        _spec("distinguishing_marks", Kind.TEXT),
        _spec("clothing", Kind.TEXT),
        _spec("description", Kind.TEXT),
        _spec("source_locale", Kind.LOCALE),
        _spec("photo_date", Kind.DATE),
        _spec("age_progressed_photo", Kind.PHOTO),
        _spec("age_progressed_to", Kind.INTEGER, low=0, high=120),
        _spec("contact_agency", Kind.LINE),
        _spec("contact_phone", Kind.LINE),
        _spec("locales", Kind.LOCALES),
        _spec("review_by", Kind.DATE),
    )
}

PRIVATE_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _spec("home_address", Kind.TEXT),
        _spec("school", Kind.LINE),
        _spec("guardian_name", Kind.LINE),
        _spec("guardian_phone", Kind.LINE),
        _spec("medical_notes", Kind.TEXT),
        _spec("custody_notes", Kind.TEXT),
        _spec("notes", Kind.TEXT),
    )
}

REQUIRED = ("case_id", "missing_since", "missing_country", "photo", "authority_ref", "consent")
NAME_FIELDS = ("given_name", "family_name")
DESCRIPTION_PREFIX = "description_"


def spec_for(name: str) -> FieldSpec | None:
    """The spec of a known field, including ``description_<locale>`` translations."""
    if name in PUBLIC_FIELDS:
        return PUBLIC_FIELDS[name]
    if name in PRIVATE_FIELDS:
        return PRIVATE_FIELDS[name]
    if name.startswith(DESCRIPTION_PREFIX) and len(name) > len(DESCRIPTION_PREFIX):
        return FieldSpec(name, Kind.TEXT)
    return None


def all_names() -> list[str]:
    """Every field name, for did-you-mean hints."""
    return [*PUBLIC_FIELDS, *PRIVATE_FIELDS]
