"""Mail through Amazon SES (``ses:REGION``, extra ``s3`` for boto3): the exact bytes as a raw
``sesv2`` SendEmail, one client per run. botocore's own retries are off — a re-sent request
after a lost response would be a duplicate nobody flagged — so the send loop's schedule does
the retrying, and every botocore error is wrapped ``from err`` into a :class:`ChannelError`."""

from __future__ import annotations

import re
from typing import Any

from campaign.channels.base import BaseChannel, ChannelError, Outcome, Outgoing, Receipt
from campaign.channels.settings import ChannelSettings
from campaign.clock import Clock
from campaign.errors import ConfigError
from campaign.s3store import boto_module, botocore_config, named_credentials

_REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+")
# Error codes (sesv2 spells some with, some without "Exception"; compared without it).
_THROTTLED = {"Throttling", "TooManyRequests", "LimitExceeded", "RequestLimitExceeded"}
_PERMANENT = {"MessageRejected", "MailFromDomainNotVerified", "BadRequest", "InvalidParameterValue"}
_HALT_PERMANENT = {"AccountSuspended"}
_HALT_RETRY = {  # credentials or account state: every send would fail the same way
    "SendingPaused",
    "AccessDenied",
    "UnrecognizedClient",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "NotFound",  # e.g. the configuration set does not exist
}


class SesChannel(BaseChannel):
    """Sends each :class:`Outgoing` as a raw message: ``sender`` → FromEmailAddress, one
    ToAddress ``recipient``, ``data`` unchanged; the receipt keeps SES's MessageId."""

    scheme = "ses"

    def __init__(self, settings: ChannelSettings, clock: Clock) -> None:
        super().__init__(settings, clock)
        self.region = settings.url.split(":", 1)[1].lstrip("/")
        if not _REGION.fullmatch(self.region):
            raise ConfigError(f"channel {settings.url}: expected ses:REGION (e.g. ses:eu-west-1)")
        self.access_key_env: str | None = settings.options.get("access_key_env")
        if bool(self.access_key_env) != bool(settings.secret_env):
            raise ConfigError(
                f"channel {settings.url}: access_key_env and secret_env go together "
                "(or leave both out for boto3's own credentials)"
            )
        self.configuration_set: str | None = settings.options.get("configuration_set")
        self._boto3 = boto_module("boto3", "ses: channels")
        self._exceptions = boto_module("botocore.exceptions", "ses: channels")
        self._client: Any = None

    def describe(self) -> str:
        where = f" via {self.settings.endpoint_url}" if self.settings.endpoint_url else ""
        return f"ses:{self.region}{where}"

    def __repr__(self) -> str:
        return f"SesChannel({self.describe()})"

    def open(self) -> None:
        """Make the sesv2 client; a ConfigError when credentials are named but unset or
        botocore's wire logging is on."""
        if self._client is not None:
            return
        config = botocore_config("SES", 1, False, self.settings.timeout_s)
        options: dict[str, Any] = {"config": config, "region_name": self.region}
        if self.settings.endpoint_url:
            options["endpoint_url"] = self.settings.endpoint_url
        if self.access_key_env:
            secret = self.settings.secret
            options |= named_credentials(self.settings.url, self.access_key_env, secret)
        self._client = self._boto3.session.Session().client("sesv2", **options)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def build_payload(self, item: Outgoing) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "FromEmailAddress": item.sender,
            "Destination": {"ToAddresses": [item.recipient]},
            "Content": {"Raw": {"Data": item.data}},
        }
        if self.configuration_set:
            payload["ConfigurationSetName"] = self.configuration_set
        return payload

    def transmit(self, item: Outgoing, payload: dict[str, Any]) -> Receipt:
        try:
            self.open()
        except ConfigError as err:
            raise ChannelError(
                f"ses: cannot use {self.describe()}: {err}", retryable=True, halt=True
            ) from err
        try:
            response = self._client.send_email(**payload)
        except (self._exceptions.BotoCoreError, self._exceptions.ClientError) as err:
            raise self._classify(err) from err
        message_id = str(response.get("MessageId", ""))
        return Receipt(Outcome.ACCEPTED, message_id or None, f"SES MessageId {message_id}")

    def _classify(self, err: Exception) -> ChannelError:
        """The ChannelError for one botocore error (see the module docstring)."""
        errors = self._exceptions
        if isinstance(err, errors.ReadTimeoutError | errors.ConnectionClosedError):
            return ChannelError(
                f"ses: the response was lost, the message may have been sent: {err}",
                retryable=True,
                unknown_outcome=True,
                halt=isinstance(err, errors.ReadTimeoutError),
            )
        if isinstance(err, errors.ConnectionError | errors.NoCredentialsError):
            return ChannelError(f"ses: cannot reach SES: {err}", retryable=True, halt=True)
        if not isinstance(err, errors.ClientError):
            return ChannelError(f"ses: {type(err).__name__}: {err}", retryable=True)
        error = err.response.get("Error", {})
        code = str(error.get("Code", "")).removesuffix("Exception")
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        response = f"{status} {code}: {error.get('Message', '')}"
        if code in _PERMANENT or code in _HALT_PERMANENT:
            return ChannelError(
                f"ses: refused: {response}",
                retryable=False,
                halt=code in _HALT_PERMANENT,
                response=response,
            )
        if code in _HALT_RETRY:
            return ChannelError(f"ses: {response}", retryable=True, halt=True, response=response)
        if code in _THROTTLED or status >= 500 or status == 429:
            return ChannelError(f"ses: deferred: {response}", retryable=True, response=response)
        return ChannelError(f"ses: refused: {response}", retryable=False, response=response)
