"""The commands that deliver: send, status and suppress (and the send step of ``run``)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import click

from campaign import report
from campaign.batch import held_problems
from campaign.cli.options import as_of_date, as_of_option, config_from, config_option
from campaign.clock import SystemClock
from campaign.config import Config
from campaign.deliver import (
    Progress,
    channel_tables,
    open_channels,
    outboxes,
    send_build,
    send_preview,
)
from campaign.ledger import Delivery, Ledger, Status, open_ledger
from campaign.progress import PlainProgress
from campaign.summary import plan_text, send_text, status_json, status_text
from campaign.suppression import import_suppressions, normalised_address
from campaign.withdraw import purge_due


def dry_run_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--dry-run",
        is_flag=True,
        help="Show what would go where; record nothing, connect to nothing.",
    )(func)


@click.command()
@click.argument("build_dir", metavar="BUILD_DIR", type=click.Path(path_type=Path, file_okay=False))
@config_option
@as_of_option
@dry_run_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Also wait for retries that come due within SECONDS (default: leave them to the "
    "next run).",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Send one message with every approved case to --to instead (nothing recorded).",
)
@click.option("--to", "to", metavar="ADDRESS", help="The staff address for --preview.")
@click.option("--locale", default="en", metavar="TAG", help="The language of --preview.")
def send(
    build_dir: Path,
    config_path: Path | None,
    as_of: dt.datetime | None,
    dry_run: bool,
    quiet: bool,
    wait_s: float,
    preview: bool,
    to: str | None,
    locale: str,
) -> None:
    """Deliver the approved renditions of the build in BUILD_DIR to the configured recipients:
    each subscriber gets one digest of the cases in their area, in their language, that they
    have not been sent yet. Exit 4 when deliveries failed or wait for a retry."""
    config = config_from(config_path)
    if preview:
        if not to:
            raise click.UsageError("--preview needs --to ADDRESS")
        with open_ledger(config) as ledger:
            click.echo(send_preview(config, build_dir, ledger, to, locale, as_of_date(as_of)))
        return
    if to:
        raise click.UsageError("--to is only for --preview")
    sys.exit(send_step(config, build_dir, as_of_date(as_of), dry_run, quiet, wait_s))


def send_step(
    config: Config, build_dir: Path, today: dt.date, dry_run: bool, quiet: bool, wait_s: float = 0
) -> int:
    """Plan, record and send one build; prints what happened; returns the exit code."""
    if not channel_tables(config):
        click.echo("no recipients configured ([lists.NAME], [partners.NAME], [vendors.NAME] "
                   "or [landing] in campaign.toml): nothing to send")  # fmt: skip
        return 0
    with open_ledger(config) as ledger:
        progress, finish = _progress(quiet)
        done = send_build(config, build_dir, ledger, today, dry_run=dry_run, wait_s=wait_s,
                          progress=progress)  # fmt: skip
        finish()
        for problem in done.batch.problems + held_problems(done.batch):
            click.echo(report.problem_line(problem), err=True)
        if done.report is None:
            click.echo(plan_text(done.batch, open_channels(config, ledger.clock)))
            return 0
        click.echo(send_text(done.recorded, done.report))
        purged = purge_due(config, ledger)
        if purged:
            click.echo(f"purged the local copies of {purged} resolved cases (grace period over)")
        for where in dict.fromkeys(outboxes(config)):
            click.echo(
                f"Outbox: {where.parent} (e-mail in new/: open the .eml files in a mail client; "
                "partner packs in partners/, print jobs in print/)",
                err=True,
            )
        click.echo(f"ledger: {ledger.state.path} (campaign status for details)", err=True)
        return 4 if done.report.incomplete() else 0


def _progress(quiet: bool) -> tuple[Progress | None, Callable[[], None]]:
    if quiet:
        return None, lambda: None
    if not sys.stderr.isatty():
        plain = PlainProgress(sys.stderr, noun="deliveries tried")
        return (lambda done, total, *_: plain(done, total)), lambda: None
    bar = click.progressbar(length=1, label="Sending", file=sys.stderr, show_pos=True)

    def update(done: int, total: int, delivery: Delivery, status: Status) -> None:
        bar.length = total
        bar.update(1)

    return update, lambda: bar.render_finish()


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts and problems as JSON.")
@click.option("--case", "case_id", metavar="CASE_ID", help="Print the takedown report of a case.")
def status(config_path: Path | None, as_json: bool, case_id: str | None) -> None:
    """Print the delivery ledger by channel and status, and list the deliveries that failed,
    expired, wait for a retry or may have arrived twice, with the reason (with --case, the
    takedown report of a resolved case; exit 5 while items need a person)."""
    config = config_from(config_path)
    if case_id is not None:
        from campaign.cli.withdrawal import show_takedown

        show_takedown(config, case_id)
        return
    with open_ledger(config) as ledger:
        click.echo(status_json(ledger) if as_json else status_text(ledger))


@click.group()
def suppress() -> None:
    """The suppression list: addresses never sent to again (honoured on every send)."""


REASONS = click.Choice(["manual", "bounce", "complaint", "unsubscribe"])


@suppress.command("add")
@click.argument("addresses", nargs=-1, required=True)
@click.option("--reason", type=REASONS, default="manual", show_default=True)
@config_option
def suppress_add(addresses: tuple[str, ...], reason: str, config_path: Path | None) -> None:
    """Suppress one or more ADDRESSES."""
    with open_ledger(config_from(config_path)) as ledger:
        new = sum(_suppress(ledger, address, reason) for address in addresses)
    click.echo(f"suppressed {new} new addresses ({len(addresses) - new} already suppressed)")


def _suppress(ledger: Ledger, address: str, reason: str) -> bool:
    try:
        checked = normalised_address(address)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="ADDRESSES") from None
    return ledger.suppress(checked, reason, "manual")


@suppress.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--reason",
    type=REASONS,
    default="bounce",
    show_default=True,
    help="For rows without a reason column.",
)
@config_option
def suppress_import(file: Path, reason: str, config_path: Path | None) -> None:
    """Suppress the addresses in FILE: a CSV with an 'email' column (and optionally 'reason'),
    such as a provider's bounce or complaint export, or one address per line."""
    with open_ledger(config_from(config_path)) as ledger:
        done = import_suppressions(ledger, file, reason)
    for problem in done.problems:
        click.echo(report.problem_line(problem), err=True)
    click.echo(done.text())
    sys.exit(1 if done.problems else 0)


@suppress.command("list")
@config_option
def suppress_list(config_path: Path | None) -> None:
    """Print the suppressed addresses with reason, source and date."""
    with open_ledger(config_from(config_path), SystemClock()) as ledger:
        for address, reason, source, at in ledger.suppressions():
            day = dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()
            click.echo(f"{address}\t{reason}\t{source}\t{day}")


COMMANDS = (send, status, suppress)
