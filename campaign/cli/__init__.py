"""The command line. The only package that imports click, and the one place where errors become
messages and exit codes (0 ok, 1 input errors, 2 usage, 3 configuration, 4 delivery incomplete,
5 needs a person)."""

from __future__ import annotations

import sys
from typing import Any

import click

from campaign import __version__
from campaign.cli import commands, delivery, withdrawal
from campaign.errors import CampaignError


class CampaignGroup(click.Group):
    """Turns the engine's typed errors into one-line messages and their exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as err:
            click.echo(f"campaign: {err}", err=True)
            sys.exit(err.exit_code)


@click.group(cls=CampaignGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="campaign")
def main() -> None:
    """Turn missing-child case records into localized appeals, deliver them, withdraw them."""


for _command in (*commands.COMMANDS, *delivery.COMMANDS, *withdrawal.COMMANDS):
    main.add_command(_command)
