"""The load stage as a whole: read and check the cases, take in their photos, and check that
their languages can be served. Returns a LoadResult whose cases are ready to plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from campaign import i18n, photos
from campaign.cases import LoadResult, load_cases
from campaign.config import Config
from campaign.errors import FetchError, PhotoError
from campaign.fetch import FetchPolicy, fetch
from campaign.identifiers import case_ref, ref_secret
from campaign.models import Case, Status
from campaign.plan import case_locales
from campaign.problems import Problem, Severity


@dataclass(frozen=True)
class IntakeOptions:
    as_of: dt.date
    defaults: Mapping[str, str]
    persist_refs: bool = False  # create the campaign key when missing (commands that print refs)
    check_photos: bool = True


def intake(path: Path, config: Config, options: IntakeOptions) -> LoadResult:
    """Load ``path``, then check every accepted case's photos and languages."""
    secret = ref_secret(config.case_ref_secret_env, config.state_dir, options.persist_refs)
    result = load_cases(
        path,
        lambda case_id: case_ref(case_id, secret),
        options.as_of,
        options.defaults,
        config.ignore_fields,
    )
    _apply_resolutions(result, config)
    if options.check_photos:
        _check_photos(result, config)
    _check_locales(result, config)
    return result


def _apply_resolutions(result: LoadResult, config: Config) -> None:
    """A case resolved in the state database stays resolved whatever the cases file says: it is
    marked resolved (so it is never rendered, and its alert is the Cancel) and reported."""
    from campaign.resolutions import resolved_refs
    from campaign.state import open_state, state_path

    if not state_path(config).is_file():
        return
    with open_state(config) as state:
        resolved = resolved_refs(state)
    for index, case in enumerate(result.cases):
        found = resolved.get(case.case_ref)
        if found is None or case.status is Status.RESOLVED:
            continue
        result.cases[index] = replace(case, status=Status.RESOLVED)
        day = found.when.date().isoformat()
        result.problems.append(
            case.problem(
                Severity.GATED,
                "resolved-in-state",
                f"this case was resolved on {day} ({found.reason}); the cases file still says "
                "active, so it is not published again (campaign reopen CASE_ID starts a new "
                "appeal)",
                "status",
            )
        )


def photo_cache(config: Config) -> photos.PhotoCache | None:
    """The on-disk cache of normalised photos, when the state folder exists."""
    folder = config.state_dir
    return photos.PhotoCache(folder / "photos") if folder.is_dir() else None


def fetch_policy(config: Config) -> FetchPolicy:
    settings = config.fetch
    return FetchPolicy(
        allowed_hosts=settings.allowed_hosts,
        max_bytes=settings.max_bytes,
        timeout_s=settings.timeout_s,
        total_timeout_s=settings.total_timeout_s,
        max_redirects=settings.max_redirects,
        ca_file=str(settings.ca_file) if settings.ca_file else None,
    )


def take_photo(
    source: Path | str,
    config: Config,
    cache: photos.PhotoCache | None,
    fetcher: Callable[[str], bytes] | None = None,
) -> photos.NormalizedPhoto:
    """The normalised photo of a case: a local file, or an https URL fetched with safeguards."""
    max_pixels = int(config.photos.max_megapixels * 1_000_000)
    if isinstance(source, Path):
        return photos.normalize_file(source, max_pixels=max_pixels, cache=cache)
    data = (fetcher or (lambda url: fetch(url, fetch_policy(config))))(source)
    return photos.normalize(data, _url_name(source), max_pixels=max_pixels)


def _url_name(url: str) -> str:
    return url.split("?", 1)[0]


def _check_photos(result: LoadResult, config: Config) -> None:
    cache = photo_cache(config)
    kept: list[Case] = []
    for case in result.cases:
        problems = list(_photo_problems(case, config, cache))
        result.problems.extend(problems)
        if any(problem.severity is Severity.ERROR for problem in problems):
            result.private.pop(case.case_id, None)
        else:
            kept.append(case)
    result.cases[:] = kept


def _photo_problems(case: Case, config: Config, cache: photos.PhotoCache | None) -> list[Problem]:
    found: list[Problem] = []
    for name, source in (
        ("photo", case.photo),
        ("age_progressed_photo", case.age_progressed_photo),
    ):
        if source is None:
            continue
        try:
            photo = take_photo(source, config, cache)
        except (PhotoError, FetchError) as err:
            found.append(case.problem(Severity.ERROR, err.code, str(err), name))
            continue
        warning = photos.preflight(photo, photos.POSTER_PHOTO_BOX_MM, config.photos.min_dpi)
        if warning is not None:
            found.append(case.problem(warning.severity, warning.code, warning.message, name))
    return found


def _check_locales(result: LoadResult, config: Config) -> None:
    shipped = set(i18n.available_locales())
    countries = i18n.country_table(config.countries)
    for case in result.cases:
        for tag in case_locales(case, countries):
            if tag not in shipped:
                used = i18n.localizer(tag).tag
                message = f"no translations for '{tag}' yet: its artefacts will be in '{used}'"
                field = "locales" if case.locales else "missing_country"
                result.problems.append(
                    case.problem(Severity.WARNING, "locale-no-catalog", message, field)
                )
