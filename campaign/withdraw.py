"""Withdrawal: when a child is found the appeal is taken down everywhere — not announced.

``withdraw`` records the resolution (once, however often it is asked, from however many
processes), cancels every delivery still waiting that carries the case, and records the
withdrawal work for everyone the ledger says may have received it — ahead of any backlog: each
partner's folder without the case (every version of its files deleted, feeds regenerated), an
``appeal.withdrawn`` event to each webhook that announced it, a neutral closure notice to each
e-mail recipient (also those who unsubscribed since; never a hard bounce), a cancellation to
each printer with the case's files deleted where allowed, the landing pages replaced by the
"appeal closed" page, and the CAP ``Cancel``. It then runs that work, purges local copies after
the grace period, and returns the takedown report (see ``takedown.py``)."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from campaign.channels import Channel
from campaign.config import Config
from campaign.deliver import Loop, channel_tables, open_channels, outboxes
from campaign.landing import CLOSED, LANDING, closed_item
from campaign.ledger import URGENT, Delivery, Item, Ledger, NewDelivery
from campaign.models import Case
from campaign.partnerpack import PACK
from campaign.payloads import CANCEL, EVENT, NOTICE, WITHDRAWAL, Payloads, email_composer
from campaign.printpack import PRINT
from campaign.resolutions import Resolution, audit, audit_log, current, resolve, resolved_refs
from campaign.takedown import Takedown, compile_report, load


def withdraw(
    config: Config,
    ledger: Ledger,
    case_ref: str,
    reason: str,
    *,
    case: Case | None = None,
    case_id: str | None = None,
    channels: Mapping[str, Channel] | None = None,
    wait_s: float = 0.0,
) -> Takedown:
    """Resolve ``case_ref`` and take it down everywhere; the report says what was done."""
    now = ledger.clock.now().timestamp()
    resolution, first = resolve(ledger.state, case_ref, reason, now)
    cancelled = ledger.cancel_case(case_ref, "case resolved: not sent")
    work, dropped = plan_withdrawal(config, ledger, resolution)
    recorded = ledger.record(work)
    broken: dict[str, str] = {}
    chosen = channels if channels is not None else open_channels(config, ledger.clock, broken)
    loop = Loop(ledger, chosen, Payloads(config, email_composer(config), ledger),
                config.audience.delivery, ledger.clock)  # fmt: skip
    loop.urgent_only = True  # withdrawal work only: the backlog waits
    loop.on_resolved = late_withdrawal(config, ledger)
    loop.run(wait_s)
    alerted = bool(ledger.state.publications(case_ref, "cap"))
    cap = _cancel_cap(config, ledger, case, now) if case is not None else None
    purged = _purge(config, ledger, case_ref, case_id, case) if config.grace_days == 0 else None
    if first:
        audit(ledger.state, case_ref, "local", "withdraw", f"{len(recorded)} tasks", now)
    notes = [f"{name}: no longer configured, so nothing was withdrawn there automatically: "
             "ask them to remove every copy" for name in dropped]  # fmt: skip
    notes += [f"{name}: the channel could not be used ({why}); fix it and run "
              "campaign send (the withdrawal waits there, ahead of everything)"
              for name, why in broken.items()]  # fmt: skip
    if alerted and cap is None:
        notes.append("a CAP alert was published but no Cancel could be made without the case's "
                     "record: run campaign resolve again with --cases FILE")  # fmt: skip
    saved = load(config, case_ref)
    if not first and not recorded and saved is not None and purged is None:
        return dataclasses.replace(saved, first=False)  # the work was done (and forgotten)
    report = compile_report(
        config, ledger, resolution, first, cancelled, [w.key for w in work], cap, purged,
        audit_log(ledger.state, case_ref), notes,
    )  # fmt: skip
    if purged is not None:
        forget(ledger, case_ref)
    return report


def forget(ledger: Ledger, ref: str) -> None:
    """After the purge, the state keeps only the audit of the case and the record of the
    withdrawal itself (notices, events, cancellations: recipient and case_ref, so nobody is
    told twice): the appeal deliveries that carried nothing else, their events, and the
    case's items in the others go (then VACUUM)."""
    from campaign.purge import vacuum

    only = (
        "SELECT d.id FROM deliveries d WHERE d.status NOT IN ('pending', 'sending', "
        "'deferred') AND d.kind IN ('email', 'pack', 'print', 'event') "
        "AND EXISTS (SELECT 1 FROM delivery_items i WHERE "
        "i.delivery_id = d.id AND i.case_ref = ?) AND NOT EXISTS (SELECT 1 FROM delivery_items "
        "i WHERE i.delivery_id = d.id AND i.case_ref != ?)"
    )
    with ledger.state.transaction() as db:
        ids = [row[0] for row in db.execute(only, (ref, ref)).fetchall()]
        db.executemany("DELETE FROM delivery_events WHERE delivery_id = ?", [(i,) for i in ids])
        db.executemany("DELETE FROM delivery_items WHERE delivery_id = ?", [(i,) for i in ids])
        db.executemany("DELETE FROM deliveries WHERE id = ?", [(i,) for i in ids])
        db.execute(
            "DELETE FROM delivery_items WHERE case_ref = ? AND delivery_id IN (SELECT id FROM "
            "deliveries WHERE status NOT IN ('pending', 'sending', 'deferred') AND kind IN "
            "('email', 'pack', 'print', 'event'))",
            (ref,),
        )  # one still on its way keeps its record (its outcome must be written)
    vacuum(ledger.state)


def late_withdrawal(config: Config, ledger: Ledger) -> Callable[[Delivery, set[str]], None]:
    """What the send loop does when a delivery turns out to have carried a case that was
    resolved while it was on its way: withdraw again where that delivery went."""

    def handle(delivery: Delivery, refs: set[str]) -> None:
        for ref in refs:
            resolution = current(ledger.state, ref)
            if resolution is None:
                continue
            work, _ = plan_withdrawal(config, ledger, resolution, again=str(delivery.id))
            mine = [w for w in work if w.kind == NOTICE or w.channel.startswith(delivery.channel)]
            ledger.record(mine)
            now = ledger.clock.now().timestamp()
            audit(ledger.state, ref, delivery.channel, "late-withdrawal", f"{len(mine)} tasks",
                  now)  # fmt: skip

    return handle


def plan_withdrawal(
    config: Config, ledger: Ledger, resolution: Resolution, again: str = ""
) -> tuple[list[NewDelivery], list[str]]:
    """The withdrawal work for everyone who may have received the case, each with a fixed key
    (so asking again records nothing new; ``again`` salts all but the notices, for a delivery
    that arrived after the first withdrawal), and the channel tables that are gone from the
    configuration (a person must ask those recipients)."""
    ref = resolution.case_ref
    tables = channel_tables(config)
    resolved = set(resolved_refs(ledger.state))
    work = _notices(ledger, ref) + _packs(ledger, ref, resolved) + _events(ledger, ref)
    work += _cancellations(ledger, ref)
    salt = f"{ref}:{resolution.resolved_at!r}"
    kept = [
        _keyed(item, salt if item.kind == NOTICE else salt + again)
        for item in work
        if item.channel in tables
    ]
    dropped = sorted({item.channel for item in work if item.channel not in tables})
    return kept, dropped


def _keyed(new: NewDelivery, salt: str) -> NewDelivery:
    digest = hashlib.sha256(f"{salt}:{new.channel}:{new.kind}:{new.recipient}".encode())
    return NewDelivery(new.channel, new.kind, new.recipient, new.locale, new.build_dir,
                       new.items, new.recipient_name, URGENT, digest.hexdigest()[:32])  # fmt: skip


def _first_per_recipient(deliveries: Sequence[Delivery]) -> list[Delivery]:
    seen: dict[tuple[str, str], Delivery] = {}
    for delivery in deliveries:
        seen.setdefault((delivery.channel, delivery.recipient), delivery)
    return list(seen.values())


def _notices(ledger: Ledger, ref: str) -> list[NewDelivery]:
    """One closure notice per address that may have received the appeal (hard bounces never)."""
    out = []
    by_address: dict[str, Delivery] = {}
    for delivery in ledger.carried(ref, ["email"]):
        by_address.setdefault(delivery.recipient.lower(), delivery)
    for delivery in by_address.values():
        if ledger.suppression_reason(delivery.recipient) == "bounce":
            continue
        item = Item(ref, delivery.locale, "notice", "", "")
        out.append(NewDelivery(delivery.channel, NOTICE, delivery.recipient, delivery.locale,
                               delivery.build_dir, (item,), delivery.recipient_name))  # fmt: skip
    return out


def _packs(ledger: Ledger, ref: str, resolved: set[str]) -> list[NewDelivery]:
    """Each partner's (and the landing pages') folder as it must be now: without the case nor
    any other resolved case (a withdrawal pack waiting for another one may be cancelled)."""
    out = []
    every = ledger.carried(ref, [PACK])
    for carried in _first_per_recipient(every):
        latest = ledger.latest(carried.channel, carried.recipient, PACK) or carried
        kept = tuple(
            item for item in latest.items if item.case_ref not in resolved | {ref}
            or item.format == CLOSED
        )  # fmt: skip
        if carried.channel == LANDING:
            locales = dict.fromkeys(
                i.locale for d in every if d.channel == LANDING for i in d.items
                if i.case_ref == ref
            )  # fmt: skip
            kept += tuple(closed_item(ref, locale) for locale in locales)
        out.append(NewDelivery(carried.channel, PACK, carried.recipient, latest.locale,
                               latest.build_dir, kept))  # fmt: skip
    return out


def _events(ledger: Ledger, ref: str) -> list[NewDelivery]:
    """An ``appeal.withdrawn`` event for each webhook that was told of the case."""
    announced: dict[tuple[str, str], list[str]] = {}
    for event in ledger.carried(ref, [EVENT]):
        announced.setdefault((event.channel, event.recipient), []).append(event.key)
    return [
        NewDelivery(
            channel,
            WITHDRAWAL,
            recipient,
            "en",
            "",
            (Item(ref, "", "withdrawn", ",".join(keys), ""),),
        )  # fmt: skip
        for (channel, recipient), keys in announced.items()
    ]


def _cancellations(ledger: Ledger, ref: str) -> list[NewDelivery]:
    """A cancellation for each printer that got the case: its files in every job named."""
    jobs: dict[tuple[str, str], list[Item]] = {}
    for job in ledger.carried(ref, [PRINT]):
        for item in job.items:
            if item.case_ref == ref:
                name = f"{job.key}/{ref}/{item.locale}/{item.format}{Path(item.path).suffix}"
                cancelled = Item(ref, item.locale, "cancelled", name, item.sha256)
                jobs.setdefault((job.channel, job.recipient), []).append(cancelled)
    return [
        NewDelivery(channel, CANCEL, recipient, "en", "", tuple(items))
        for (channel, recipient), items in jobs.items()
    ]


def _cancel_cap(config: Config, ledger: Ledger, case: Case, now: float) -> dict[str, str] | None:
    """The CAP Cancel of a case that was ever alerted (recorded like every publication)."""
    import dataclasses
    import datetime as dt

    from campaign.layouts import alerts
    from campaign.layouts.alert_text import alert_context
    from campaign.models import Status
    from campaign.publish import publish_cap

    if not ledger.state.publications(case.case_ref, alerts.KIND):
        return None
    closed = dataclasses.replace(case, status=Status.RESOLVED)
    when = dt.datetime.fromtimestamp(now, dt.UTC)
    done = publish_cap(closed, alert_context(closed, config, when.date()), ledger.state, when)
    folder = config.state_dir / "takedown"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{case.case_ref}-cap-cancel.xml"
    path.write_bytes(done.document)
    item = done.publication
    return {"identifier": item.identifier, "references": " ".join(item.references),
            "file": str(path)}  # fmt: skip


def _purge(config: Config, ledger: Ledger, ref: str, case_id: str | None, case: Case | None
           ) -> dict[str, list[str]] | None:  # fmt: skip
    """Delete every local copy of the case (the user's own input files are only named)."""
    from campaign.purge import purge_case

    builds = _build_dirs(config, ledger, ref)
    case_id = case_id or (case.case_id if case else None) or _case_id_in(builds, ref)
    if case_id is None:
        return None
    shas, inputs = _photos(config, case)
    shas = sorted(set(shas) | set(_photo_keys_in(builds, ref)))
    _scrub(ledger, ref, case_id)
    with _exclusive(config.state_dir / "purge.lock"):  # one purge at a time per state folder
        done = purge_case(
            case_id, ref, build_dirs=builds, outbox_dirs=[p.parent for p in outboxes(config)],
            photo_cache=config.state_dir / "photos", photo_shas=shas, inputs=inputs,
            state=ledger.state,
        )  # fmt: skip
    now = ledger.clock.now().timestamp()
    audit(ledger.state, ref, "local", "purge", f"{len(done.removed)} files removed", now)
    return {"removed": done.removed, "rewritten": done.rewritten,
            "left_for_a_person": done.left_for_a_person}  # fmt: skip


def _scrub(ledger: Ledger, ref: str, case_id: str) -> None:
    """Take the case_id out of the ledger (rendition paths, details): only the opaque case_ref
    stays; the purge's VACUUM then overwrites the freed pages."""
    with ledger.state.transaction() as db:
        db.execute(
            "UPDATE delivery_items SET path = case_ref || '/' || locale || '/' || format "
            "WHERE case_ref = ? AND instr(path, ?) > 0",
            (ref, case_id),
        )
        for table in ("deliveries", "delivery_events"):
            db.execute(
                f"UPDATE {table} SET detail = replace(detail, ?, ?) "  # noqa: S608 (fixed names)
                "WHERE instr(detail, ?) > 0",
                (case_id, ref, case_id),
            )


def _build_dirs(config: Config, ledger: Ledger, ref: str) -> list[Path]:
    rows = ledger.state.query("SELECT DISTINCT build_dir FROM deliveries WHERE build_dir != ''")
    found = {Path(str(row[0])) for row in rows}
    default = config.base_dir / "out"
    if default.is_dir():
        found.add(default.resolve())
    return sorted(path for path in found if path.is_dir())


def _photo_keys_in(builds: Sequence[Path], ref: str) -> list[str]:
    """The photo cache keys the builds recorded for the case (its photo may be gone)."""
    return [str(key) for entry in _case_entries(builds, ref) for key in entry.get("photo_keys", [])]


def _case_id_in(builds: Sequence[Path], ref: str) -> str | None:
    return next((str(entry["case_id"]) for entry in _case_entries(builds, ref)), None)


def _case_entries(builds: Sequence[Path], ref: str) -> Iterator[dict[str, Any]]:
    """The ``cases`` entries of ``ref`` in the builds' manifests."""
    for build in builds:
        try:
            manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        yield from (e for e in manifest.get("cases", []) if e.get("case_ref") == ref)


def _photos(config: Config, case: Case | None) -> tuple[list[str], list[Path]]:
    """The cache keys of the case's photos, and the input files a person must deal with."""
    inputs = [config.cases] if config.cases is not None else []
    shas: list[str] = []
    if case is None:
        return shas, inputs
    folder = config.cases.parent if config.cases is not None else config.base_dir
    for source in (case.photo, case.age_progressed_photo):
        if isinstance(source, Path) or (isinstance(source, str) and "://" not in source):
            path = folder / source
            inputs.append(path)
            if path.is_file():
                shas.append(hashlib.sha256(path.read_bytes()).hexdigest())
    return shas, inputs


def newly_resolved(config: Config, ledger: Ledger, cases: Sequence[Case]) -> list[Case]:
    """Cases the cases file now marks resolved that this campaign published and has not yet
    withdrawn: re-importing ``status=resolved`` withdraws them like ``campaign resolve``."""
    from campaign.models import Status
    from campaign.resolutions import current

    found = []
    for case in cases:
        if case.status is not Status.RESOLVED or current(ledger.state, case.case_ref):
            continue
        published = ledger.state.publications(case.case_ref, "cap")
        kinds = ["email", PACK, PRINT, EVENT]
        if published or ledger.carried(case.case_ref, kinds):
            found.append(case)
    return found


def purge_due(config: Config, ledger: Ledger) -> int:
    """Purge the local copies of cases resolved longer ago than the grace period (once)."""
    from campaign.resolutions import resolved_refs

    now = ledger.clock.now().timestamp()
    done = 0
    for ref, resolution in resolved_refs(ledger.state).items():
        if now - resolution.resolved_at < config.grace_days * 86400:
            continue
        if any(action == "purge" for _, _, action, _ in audit_log(ledger.state, ref)):
            continue
        if _purge(config, ledger, ref, None, None) is not None:
            forget(ledger, ref)
            done += 1
    return done


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (two resolves of one case must not purge at once)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
