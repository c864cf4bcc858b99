"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from campaign.config import Config, find_config, load_config

F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Configuration file (default: ./campaign.toml when present, else built-in defaults).",
    )(func)


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="The date to check and render as (YYYY-MM-DD; default today).",
    )(func)


def set_option(func: F) -> F:
    return click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="FIELD=VALUE",
        help="A value for FIELD where a record lacks it (e.g. PFIF imports: --set "
        "missing_country=MX). Repeatable.",
    )(func)


def build_options(func: F) -> F:
    """``--jobs N``, ``--force`` and ``--scheduler``, shared by ``build`` and ``run``."""
    func = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Render on a Dask cluster: tcp://HOST:PORT of its scheduler, or local-dask to start "
        "two workers here (needs campaign[dask]; docs/distributed.md).",
    )(func)
    func = click.option(
        "--force",
        is_flag=True,
        help="Render every job, even those the previous build in the folder already made.",
    )(func)
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes (default: every core; 1 renders in this process).",
    )(func)


def config_from(path: Path | None) -> Config:
    return load_config(find_config(path))


def as_of_date(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def set_defaults(sets: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--set expects FIELD=VALUE, got '{item}'")
        out[name.strip()] = value
    return out
