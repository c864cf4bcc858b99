"""The channels: one module per way of delivering, found by the URL scheme of a channel table.

Built-ins are an explicit table of lazy imports; other packages add channels through the
``campaign.channels`` entry-point group. A channel whose optional package is missing raises
:class:`~campaign.errors.MissingDependency` naming the pip extra."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import cast

from campaign.channels.base import Channel, ChannelError, Outcome, Outgoing, Receipt
from campaign.channels.settings import ChannelSettings, RetrySettings, channel_settings
from campaign.clock import Clock
from campaign.errors import ConfigError

__all__ = [
    "Channel",
    "ChannelError",
    "ChannelSettings",
    "Outcome",
    "Outgoing",
    "Receipt",
    "RetrySettings",
    "channel_settings",
    "make_channel",
]

BUILT_IN = {
    "outbox": "campaign.channels.outbox:OutboxChannel",
    "smtp": "campaign.channels.smtp:SmtpChannel",
    "smtps": "campaign.channels.smtp:SmtpChannel",
    "ses": "campaign.channels.ses:SesChannel",
    "s3": "campaign.channels.s3:S3Channel",
    "sftp": "campaign.channels.sftp:SftpChannel",
    "https": "campaign.channels.webhook:WebhookChannel",
    "http": "campaign.channels.webhook:WebhookChannel",  # loopback tests (allow_private) only
}


def channel_class(scheme: str) -> type[Channel]:
    """The class that sends through ``scheme:`` URLs."""
    target = BUILT_IN.get(scheme)
    if target is None:
        found = [e for e in entry_points(group="campaign.channels") if e.name == scheme]
        if not found:
            raise ConfigError(f"no channel is installed for '{scheme}:' URLs")
        return cast(type[Channel], found[0].load())
    module, _, name = target.partition(":")
    return cast(type[Channel], getattr(importlib.import_module(module), name))


def make_channel(settings: ChannelSettings, clock: Clock) -> Channel:
    """The channel for ``settings`` (checked, not yet connected)."""
    return channel_class(settings.scheme).from_config(settings, clock)
