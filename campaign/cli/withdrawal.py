"""The commands that withdraw: resolve (and --done for what a person did) and reopen."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from campaign.cli.options import config_from, config_option
from campaign.config import Config
from campaign.errors import ConfigError
from campaign.identifiers import SECRET_FILE, case_ref, ref_secret
from campaign.intake import IntakeOptions, intake
from campaign.ledger import open_ledger
from campaign.models import Case
from campaign.resolutions import REASONS, audit, current, reopen
from campaign.takedown import Takedown, load, report_paths, save
from campaign.withdraw import withdraw

NEEDS_A_PERSON = 5


@click.command()
@click.argument("case_id")
@click.option("--reason", type=click.Choice(REASONS), default="found", show_default=True,
              help="Recorded only; no message ever says why an appeal ended.")  # fmt: skip
@click.option(
    "--cases",
    "cases_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The cases file (default: campaign.cases), for the CAP Cancel and photos.",
)
@click.option(
    "--done",
    "done",
    multiple=True,
    type=int,
    metavar="N",
    help="Record that a person did item N of the report (repeatable).",
)
@config_option
def resolve(case_id: str, reason: str, cases_path: Path | None, done: tuple[int, ...],
            config_path: Path | None) -> None:  # fmt: skip
    """Resolve CASE_ID and take its appeal down everywhere: cancel what is waiting, withdraw it
    from every partner, printer, webhook and landing page, send past recipients a neutral
    closure notice, cancel its CAP alert, purge local copies; print the takedown report.
    Exit 5 while items need a person. Asking again does nothing twice."""
    config = config_from(config_path)
    ref = reference(config, case_id)
    with open_ledger(config) as ledger:
        if done:
            report = _mark_done(config, ref, done, ledger.clock.now().timestamp())
        else:
            case = _case(config, cases_path, case_id)
            report = withdraw(config, ledger, ref, reason, case=case, case_id=case_id)
    _print(config, report)


def _mark_done(config: Config, ref: str, items: tuple[int, ...], now: float) -> Takedown:
    report = load(config, ref)
    if report is None:
        raise click.UsageError(f"no takedown report for {ref}: resolve the case first")
    known = {int(item["n"]) for item in report.person}
    with open_ledger(config) as ledger:
        for n in items:
            if n not in known:
                raise click.BadParameter(f"the report has no item {n}", param_hint="--done")
            audit(ledger.state, ref, "person", "person-done", str(n), now)
    for item in report.person:
        item["done"] = item.get("done") or int(item["n"]) in items
    save(config, report)
    return report


def _print(config: Config, report: Takedown) -> None:
    click.echo(report.text(), nl=False)
    json_path, text_path = report_paths(config, report.case_ref)
    click.echo(f"report: {text_path} and {json_path}", err=True)
    sys.exit(NEEDS_A_PERSON if report.open_items else 0)


def reference(config: Config, case_id: str) -> str:
    """The case_ref of ``case_id`` in this campaign (its key must exist: nothing was ever
    published without one)."""
    key_file = config.state_dir / SECRET_FILE
    if not os.environ.get(config.case_ref_secret_env) and not key_file.is_file():
        raise ConfigError(
            f"{config.state_dir}: no case reference key here (and {config.case_ref_secret_env} "
            "is not set): this campaign never published anything from this state folder"
        )
    return case_ref(case_id, ref_secret(config.case_ref_secret_env, config.state_dir, False))


def _case(config: Config, cases_path: Path | None, case_id: str) -> Case | None:
    path = cases_path or config.cases
    if path is None or not path.is_file():
        return None
    options = IntakeOptions(dt.date.today(), {}, check_photos=False)
    loaded = intake(path, config, options)
    return next((case for case in loaded.cases if case.case_id == case_id), None)


@click.command(name="reopen")
@click.argument("case_id")
@config_option
def reopen_command(case_id: str, config_path: Path | None) -> None:
    """Re-open a resolved case: the next run publishes it again as a NEW appeal (a new CAP
    Alert, new deliveries). Nothing else ever makes a resolved case sendable again."""
    config = config_from(config_path)
    ref = reference(config, case_id)
    with open_ledger(config) as ledger:
        if not reopen(ledger.state, ref, ledger.clock.now().timestamp()):
            raise click.UsageError(f"{case_id} ({ref}) is not resolved")
        assert current(ledger.state, ref) is None
    click.echo(f"{case_id} ({ref}) re-opened: the next run publishes it as a new appeal")


def show_takedown(config: Config, case_id: str) -> None:
    """``campaign status --case``: the saved takedown report (exit 5 while items are open)."""
    report = load(config, reference(config, case_id))
    if report is None:
        raise click.UsageError(f"{case_id} has no takedown report: it was not resolved here")
    _print(config, report)


def withdraw_resolved(config: Config, cases: list[Case]) -> int:
    """``run``: withdraw the cases the cases file newly marks resolved; 5 if a person is
    needed, else 0."""
    from campaign.withdraw import newly_resolved, purge_due

    code = 0
    with open_ledger(config) as ledger:
        for case in newly_resolved(config, ledger, cases):
            report = withdraw(config, ledger, case.case_ref, "other", case=case,
                              case_id=case.case_id)  # fmt: skip
            click.echo(report.text(), nl=False)
            code = NEEDS_A_PERSON if report.open_items else code
        purge_due(config, ledger)
    return code


COMMANDS = (resolve, reopen_command)
