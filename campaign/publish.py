"""Publishing a case's CAP message, the one step of alerting that changes state.

What the state database says was published before decides the message: an Alert the first time;
the same message printed again (nothing new recorded) when nothing changed; an Update, which
references every message since the last Cancel, when the content changed; a Cancel of those
messages when the case is resolved (and the same Cancel again after that). The new message is
recorded before it is handed back, so a message that may have gone out can always be cancelled.

Only ``campaign alert --format cap`` publishes. A build writes ``cap.xml`` with a deterministic
envelope and records nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from campaign.cases import LoadResult
from campaign.errors import AlertError
from campaign.layouts import alerts
from campaign.layouts.alert_text import AlertContext
from campaign.models import Case, Publicity, Status
from campaign.problems import Severity
from campaign.state import Publication, State

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Published:
    """A CAP document and its publication record; ``recorded`` is False for a re-print."""

    document: bytes
    publication: Publication
    recorded: bool


def alert_case(loaded: LoadResult, case_id: str, fmt: str) -> Case:
    """The case to alert about; an :class:`AlertError` says why there is none.

    A resolved case is returned for ``cap`` whatever its other gates (its Cancel must go out);
    other gated cases, and restricted cases for the public text formats, are refused.
    """
    case = next((found for found in loaded.cases if found.case_id == case_id), None)
    problems = [problem for problem in loaded.problems if problem.case_id == case_id]
    if case is None:
        errors = [p.text() for p in problems if p.severity is Severity.ERROR]
        if errors:
            raise AlertError(f"case {case_id} was rejected: {errors[0]}")
        raise AlertError(f"no case with id '{case_id}' in the cases file")
    if case.status is Status.RESOLVED:
        if fmt == "cap":
            return case
        raise AlertError(f"case {case_id} is resolved: no {fmt} text is made for it")
    gates = [p.message for p in problems if p.severity is Severity.GATED]
    if gates:
        raise AlertError(f"case {case_id} is not publishable: " + "; ".join(gates))
    if case.publicity is Publicity.RESTRICTED and fmt != "cap":
        raise AlertError(
            f"case {case_id} has publicity 'restricted': no public {fmt} text is made for it "
            "(its CAP message has scope Restricted)"
        )
    return case


def content_digest(case: Case, ctx: AlertContext) -> str:
    """A digest of what the CAP message says, whatever its envelope (to tell an Update)."""
    neutral = alerts.envelope(ctx.config.cap_sender, case.case_ref, EPOCH)
    return hashlib.sha256(alerts.cap(case, ctx, neutral)).hexdigest()


def publish_cap(case: Case, ctx: AlertContext, state: State, now: dt.datetime) -> Published:
    """The CAP message of ``case`` now, recorded in ``state`` when it is a new one."""
    history = state.publications(case.case_ref, alerts.KIND)
    latest = history[-1] if history else None
    active = _since_cancel(history)
    if case.status is Status.RESOLVED:
        return _cancel(case, ctx, state, history, now)
    digest = content_digest(case, ctx)
    if active and latest is not None and latest.digest == digest:
        return Published(alerts.cap(case, ctx, _envelope_of(latest)), latest, recorded=False)
    env = alerts.envelope(
        ctx.config.cap_sender,
        case.case_ref,
        _next_sent(now, latest),
        "Update" if active else "Alert",
        tuple(item.reference for item in active),
    )
    return _record(state, case, ctx, env, digest, alerts.cap(case, ctx, env))


def _cancel(
    case: Case, ctx: AlertContext, state: State, history: Sequence[Publication], now: dt.datetime
) -> Published:
    latest = history[-1] if history else None
    if latest is not None and latest.msg_type == "Cancel":
        again = replace(ctx, locales=latest.locales)
        return Published(alerts.cancel(case, again, _envelope_of(latest)), latest, recorded=False)
    active = _since_cancel(history)
    if not active:
        raise AlertError(
            f"case {case.case_id} ({case.case_ref}) is resolved and no CAP message was ever "
            f"recorded for it in {state.path}: nothing to cancel"
        )
    closing = replace(ctx, locales=_union(item.locales for item in active))
    env = alerts.envelope(
        ctx.config.cap_sender,
        case.case_ref,
        _next_sent(now, latest),
        "Cancel",
        tuple(item.reference for item in active),
    )
    return _record(state, case, closing, env, "", alerts.cancel(case, closing, env))


def _record(
    state: State, case: Case, ctx: AlertContext, env: alerts.Envelope, digest: str, doc: bytes
) -> Published:
    publication = Publication(
        case_ref=case.case_ref,
        kind=alerts.KIND,
        sender=env.sender,
        identifier=env.identifier,
        sent=env.sent,
        locales=ctx.locales,
        msg_type=env.msg_type,
        references=env.references,
        digest=digest,
    )
    state.record_publication(publication)
    return Published(doc, publication, recorded=True)


def _since_cancel(history: Sequence[Publication]) -> list[Publication]:
    """The messages after the last Cancel: what an Update or a Cancel references."""
    found: list[Publication] = []
    for item in history:
        found = [] if item.msg_type == "Cancel" else [*found, item]
    return found


def _envelope_of(item: Publication) -> alerts.Envelope:
    return alerts.Envelope(item.sender, item.identifier, item.sent, item.msg_type, item.references)


def _next_sent(now: dt.datetime, latest: Publication | None) -> dt.datetime:
    """``now`` to the second, and always after the latest message (identifiers stay unique)."""
    sent = alerts.cap_time(now)
    if latest is not None and sent <= latest.sent:
        sent = alerts.cap_time(latest.sent) + dt.timedelta(seconds=1)
    return sent


def _union(groups: Iterable[Sequence[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tag for group in groups for tag in group))
