"""The commands that check, build, approve and alert: validate, refs, run, build, approve,
alert."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from campaign import i18n, report
from campaign.approval import approve_build
from campaign.build import BuildReport, BuildRequest
from campaign.build import build as render_build
from campaign.cases import LoadResult
from campaign.cli.delivery import dry_run_option, send_step
from campaign.cli.options import (
    as_of_date,
    as_of_option,
    build_options,
    config_from,
    config_option,
    set_defaults,
    set_option,
)
from campaign.cli.withdrawal import withdraw_resolved
from campaign.config import Config
from campaign.errors import ConfigError
from campaign.intake import IntakeOptions, intake
from campaign.layouts import alerts, chosen_formats, default_formats
from campaign.layouts.alert_text import AlertContext, alert_context
from campaign.models import Case
from campaign.plan import Job
from campaign.progress import PlainProgress, RateLabel
from campaign.publish import alert_case, publish_cap
from campaign.state import open_state


@click.command()
@click.argument("cases", type=click.Path(path_type=Path, dir_okay=False))
@config_option
@as_of_option
@set_option
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
def validate(
    cases: Path,
    config_path: Path | None,
    as_of: dt.datetime | None,
    sets: tuple[str, ...],
    as_json: bool,
) -> None:
    """Check a cases file (CSV, JSON, JSON Lines or PFIF XML) and report every problem."""
    config = config_from(config_path)
    result = intake(cases, config, IntakeOptions(as_of_date(as_of), set_defaults(sets)))
    _print_problems(result, as_json)
    click.echo(report.summary(cases, result), err=True)
    sys.exit(1 if result.has_errors() else 0)


@click.command()
@click.argument("cases", type=click.Path(path_type=Path, dir_okay=False))
@config_option
@as_of_option
@set_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the map to this CSV file instead of standard output.",
)
def refs(
    cases: Path,
    config_path: Path | None,
    as_of: dt.datetime | None,
    sets: tuple[str, ...],
    out: Path | None,
) -> None:
    """Export the case_ref → case_id map of the accepted cases (CSV) for your website."""
    config = config_from(config_path)
    options = IntakeOptions(
        as_of_date(as_of), set_defaults(sets), persist_refs=True, check_photos=False
    )
    result = intake(cases, config, options)
    text = report.refs_csv(result.cases)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(result.cases)} references to {out}", err=True)
    sys.exit(1 if result.has_errors() else 0)


@click.command()
@config_option
@as_of_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to write the run's results (default: out/ beside the config).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--approve-as",
    metavar="NAME",
    default=None,
    help="Approve every rendition of this run in NAME's name (unattended runs, the demo).",
)
@dry_run_option
@build_options
def run(
    config_path: Path | None,
    as_of: dt.datetime | None,
    out: Path | None,
    quiet: bool,
    approve_as: str | None,
    dry_run: bool,
    jobs: int | None,
    force: bool,
    scheduler: str | None,
) -> None:
    """The main job on the configured campaign: validate the cases, build every format, write
    the review gallery (with --approve-as, approve what was built), then send the approved
    renditions to the configured recipients. Exit 4 when deliveries failed or wait for a retry,
    else 1 when some cases had errors."""
    config = config_from(config_path)
    if config.cases is None:
        raise ConfigError(
            f"{config.source or 'built-in defaults'}: set campaign.cases to the cases file to run"
        )
    out_dir = out or config.base_dir / "out"
    day = as_of_date(as_of)
    loaded = intake(config.cases, config, IntakeOptions(day, {}, persist_refs=True))
    _print_problems(loaded, as_json=False)
    paths = report.write_validation(out_dir, config.cases, loaded)
    click.echo(report.summary(config.cases, loaded), err=True)
    request = BuildRequest(
        out_dir, day, default_formats(), force=force, jobs=jobs, scheduler=scheduler
    )
    built = _run_build(loaded, config, request, quiet)
    for line in report.problem_lines(built.problems[len(loaded.problems) :]):
        click.echo(line)
    click.echo(report.build_summary(out_dir, loaded, built), err=True)
    click.echo(f"Validation report: {paths[0]}", err=True)
    click.echo(report.gallery_line(out_dir), err=True)
    for example in report.examples(built, out_dir):
        click.echo(f"Look at: {example}", err=True)
    if approve_as is not None:
        _approve(config, out_dir, approve_as, ())
    withdrawn = 0 if dry_run else withdraw_resolved(config, loaded.cases)
    sent = send_step(config, out_dir, day, dry_run, quiet)
    sys.exit(withdrawn or sent or (1 if built.has_errors() else 0))


@click.command()
@click.argument("cases", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    required=True,
    metavar="DIR|s3://BUCKET/PREFIX",
    help="The build folder or S3 prefix (<case_id>/<locale>/<format>.pdf and manifest.json).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="FORMAT",
    help="A format to render (repeatable; default: all of them).",
)
@click.option(
    "--locale",
    "locales",
    multiple=True,
    metavar="TAG",
    help="Render in this language instead of each case's own (repeatable).",
)
@config_option
@as_of_option
@set_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts and problems as JSON.")
@build_options
def build(
    cases: Path,
    out: str,
    formats: tuple[str, ...],
    locales: tuple[str, ...],
    config_path: Path | None,
    as_of: dt.datetime | None,
    sets: tuple[str, ...],
    quiet: bool,
    as_json: bool,
    jobs: int | None,
    force: bool,
    scheduler: str | None,
) -> None:
    """Render posters, flyers, banners, social images and alert files for every publishable case."""
    config = config_from(config_path)
    chosen = chosen_formats(formats)
    _check_locales(locales)
    day = as_of_date(as_of)
    loaded = intake(cases, config, IntakeOptions(day, set_defaults(sets), persist_refs=True))
    request = BuildRequest(out, day, chosen, locales, force=force, jobs=jobs, scheduler=scheduler)
    result = _run_build(loaded, config, request, quiet)
    if as_json:
        click.echo(report.build_json(result))
    for line in report.problem_lines(result.problems):
        click.echo(line, err=as_json)
    click.echo(report.build_summary(out, loaded, result), err=True)
    click.echo(report.gallery_line(out), err=True)
    sys.exit(1 if result.has_errors() else 0)


@click.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--by", "by", required=True, metavar="NAME", help="Who approves (recorded).")
@click.option(
    "--case",
    "case_ids",
    multiple=True,
    metavar="ID",
    help="Approve only this case's renditions (repeatable; default: every case).",
)
@config_option
def approve(out_dir: Path, by: str, case_ids: tuple[str, ...], config_path: Path | None) -> None:
    """Record in the state database that NAME reviewed and approved the renditions of the build
    in DIR (their sha256 digests from DIR/manifest.json). Approving again changes nothing."""
    _approve(config_from(config_path), out_dir, by, case_ids)


def _approve(config: Config, out_dir: Path, by: str, case_ids: tuple[str, ...]) -> None:
    with open_state(config) as state:
        now = dt.datetime.now(dt.UTC)
        done = approve_build(state, out_dir, by, now, case_ids, config.allow_unreviewed_locales)
    click.echo(done.text())
    click.echo(f"recorded in {state.path}", err=True)


def _check_locales(locales: tuple[str, ...]) -> None:
    for tag in locales:
        if not i18n.is_valid_tag(tag):
            raise click.BadParameter(f"'{tag}' is not a BCP 47 language tag", param_hint="--locale")


def _run_build(
    loaded: LoadResult, config: Config, request: BuildRequest, quiet: bool
) -> BuildReport:
    if quiet or not sys.stderr.isatty():
        plain = None if quiet else PlainProgress(sys.stderr)
        return render_build(loaded, config, request, plain)
    rate = RateLabel()
    with click.progressbar(
        length=1,
        label="Rendering",
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        item_show_func=rate,
    ) as bar:

        def progress(done: int, total: int, job: Job) -> None:
            bar.length, rate.done = total, done
            bar.update(1)

        return render_build(loaded, config, request, progress)


def _print_problems(result: LoadResult, as_json: bool) -> None:
    if as_json:
        click.echo(report.problems_json(result.problems))
        return
    for problem in result.problems:
        click.echo(report.problem_line(problem))


@click.command()
@click.argument("cases", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("case_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(alerts.FORMATS),
    required=True,
    help="cap: a CAP 1.2 document, published (recorded in the state database); wea, sms, "
    "social: the short texts of each language, with their counts.",
)
@click.option(
    "--locale",
    "locales",
    multiple=True,
    metavar="TAG",
    help="Write in this language instead of the case's own (repeatable).",
)
@config_option
@as_of_option
@set_option
def alert(
    cases: Path,
    case_id: str,
    fmt: str,
    locales: tuple[str, ...],
    config_path: Path | None,
    as_of: dt.datetime | None,
    sets: tuple[str, ...],
) -> None:
    """Print the alert of one case: its CAP message (an Alert, an Update, or for a resolved case
    the Cancel), or its WEA, SMS or social texts."""
    config = config_from(config_path)
    _check_locales(locales)
    day = as_of_date(as_of)
    options = IntakeOptions(day, set_defaults(sets), persist_refs=True, check_photos=False)
    case = alert_case(intake(cases, config, options), case_id, fmt)
    ctx = alert_context(case, config, day, locales)
    if fmt == "cap":
        _publish_cap(case, ctx, config)
    else:
        click.echo(alerts.describe(alerts.texts(case, ctx), fmt), nl=False)


def _publish_cap(case: Case, ctx: AlertContext, config: Config) -> None:
    with open_state(config) as state:
        done = publish_cap(case, ctx, state, dt.datetime.now(dt.UTC))
    click.echo(done.document.decode("utf-8"), nl=False)
    item = done.publication
    how = "recorded in" if done.recorded else "already in"
    click.echo(f"{item.msg_type} {item.identifier} {how} {state.path}", err=True)


COMMANDS = (validate, refs, run, build, approve, alert)
