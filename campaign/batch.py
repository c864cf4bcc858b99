"""Planning a batch: from a build folder and the configured recipients to the deliveries to
record. Pure apart from reading files and the ledger: a dry run plans and prints, a send plans
and records the whole batch in one transaction.

Only renditions a person approved (exactly these bytes) go out, and not those in a language whose
translation nobody reviewed unless the campaign allows it. Each subscriber gets one digest of
the cases in their area, in their language (after fallback), leaving out every case version
the ledger shows was already sent to them (until ``resend_after_days``, when set)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign.audience import Area, EmailList, Subscriber
from campaign.buildview import Build, Gate, item_of
from campaign.config import Config
from campaign.errors import InputError
from campaign.i18n import fallback_chain, review
from campaign.landing import closed_pages, plan_landing
from campaign.ledger import Item, Ledger, NewDelivery
from campaign.partnerpack import plan_partner
from campaign.printpack import PRINT, plan_vendor
from campaign.problems import Problem, Severity
from campaign.subscribers import load_subscribers
from campaign.targeting import CaseInfo, cases_for, ranked_locales

EMAIL = "email"
today_never = dt.date.min  # a preview recipient gave no consent date: none is needed


@dataclass
class Batch:
    """What a send would record, and why some things are held back."""

    build_dir: Path
    deliveries: list[NewDelivery] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    held: Counter[str] = field(default_factory=Counter)  # reason → renditions held back
    already: int = 0  # case versions left out because the recipient already has them
    suppressed: int = 0  # subscribers left out (bounced, complained, unsubscribed)
    resolved: int = 0  # cases left out because they were resolved

    def recipients(self) -> int:
        return len({d.recipient for d in self.deliveries})


def plan_batch(config: Config, build_dir: Path, ledger: Ledger, today: dt.date) -> Batch:
    """The deliveries a send of ``build_dir`` would make now (nothing is recorded)."""
    build = Build.read(build_dir)
    batch = Batch(build.root)
    resolved = ledger.resolved([case.case_ref for case in build.cases])
    batch.resolved = len(resolved)
    active = [case for case in build.cases if case.case_ref not in resolved]
    cases = [case for case in active if case.case_ref not in build.restricted]
    gate = Gate(config, ledger)
    _plan_partners_and_vendors(config, build, gate, ledger, active, batch)
    resend = config.audience.delivery.resend_after_days
    since = ledger.clock.now().timestamp() - resend * 86400 if resend else None
    taken = ledger.taken(EMAIL, since)
    seen: set[str] = set()
    for subscriber, email_list in _subscribers(config.audience.lists, today, batch):
        if subscriber.address in seen:
            continue
        seen.add(subscriber.address)
        if ledger.is_suppressed(subscriber.address):
            batch.suppressed += 1
            continue
        items = _digest_items(config, build, gate, subscriber, cases, taken, batch)
        if items:
            batch.deliveries.append(
                NewDelivery(
                    channel=f"lists.{email_list.name}",
                    kind=EMAIL,
                    recipient=subscriber.address,
                    recipient_name=subscriber.name or "",
                    locale=message_locale(config, subscriber.locale),
                    build_dir=str(build.root),
                    items=tuple(items),
                )
            )
    return batch


def _plan_partners_and_vendors(
    config: Config, build: Build, gate: Gate, ledger: Ledger, cases: list[CaseInfo], batch: Batch
) -> None:
    """Each partner's pack as it should be now, and each vendor's new print job (restricted
    cases included: their print formats are for partners and printers)."""
    for partner in config.audience.partners:
        pack = plan_partner(config, build, gate, partner, cases)
        if pack is not None:
            batch.deliveries.append(pack)
    if config.audience.landing is not None:
        pages = plan_landing(build, gate, config.audience.landing, cases, closed_pages(ledger))
        if pages is not None:
            batch.deliveries.append(pages)
    printed = ledger.taken(PRINT) if config.audience.vendors else set()
    for vendor in config.audience.vendors:
        job = plan_vendor(build, gate, vendor, cases, printed)
        if job is not None:
            batch.deliveries.append(job)


def preview_delivery(
    config: Config, build_dir: Path, ledger: Ledger, address: str, locale: str
) -> NewDelivery:
    """A digest of every sendable case in ``locale`` for a staff ``address`` (not recorded)."""
    if not config.audience.lists:
        raise InputError("no [lists.NAME] in the configuration: nothing to preview")
    build = Build.read(build_dir)
    batch = Batch(build.root)
    staff = Subscriber(address, None, locale, Area(), today_never, config.audience.lists[0].name, 0)
    resolved = ledger.resolved([case.case_ref for case in build.cases])
    public = [case for case in _public(build) if case.case_ref not in resolved]
    items = _digest_items(config, build, Gate(config, ledger), staff, public, set(), batch)
    if not items:
        reasons = "; ".join(f"{n} {why}" for why, n in batch.held.items()) or "no cases"
        raise InputError(f"nothing approved to preview ({reasons})", str(build_dir))
    return NewDelivery(f"lists.{staff.list_name}", EMAIL, address, locale, str(build.root),
                       tuple(items), "")  # fmt: skip


def _subscribers(
    lists: Iterable[EmailList], today: dt.date, batch: Batch
) -> Iterable[tuple[Subscriber, EmailList]]:
    for email_list in lists:
        subscribers, problems = load_subscribers(email_list, today)
        batch.problems.extend(problems)
        for subscriber in subscribers:
            yield subscriber, email_list


def _digest_items(
    config: Config,
    build: Build,
    gate: Gate,
    subscriber: Subscriber,
    cases: list[CaseInfo],
    taken: set[tuple[str, str, str]],
    batch: Batch,
) -> list[Item]:
    email = config.audience.email
    items: list[Item] = []
    for case in cases_for(subscriber.area, cases):
        banner = _banner(build, gate, case, subscriber.locale, email.banner, batch)
        if banner is None:
            continue
        locale = banner["locale"]
        if (subscriber.address, case.case_ref, banner["sha256"]) in taken:
            batch.already += 1
            continue
        items.append(item_of(banner))
        poster = build.renditions.get((case.case_ref, locale, email.poster_format))
        if email.poster == "attach" and poster is not None and gate.hold(poster) is None:
            items.append(item_of(poster))
    return items


def _banner(
    build: Build, gate: Gate, case: CaseInfo, wanted: str, fmt: str, batch: Batch
) -> Mapping[str, Any] | None:
    """The best banner of ``case`` for a reader of ``wanted`` that may be sent: a held-back
    language gives way to the next one (an unreviewed translation to the English original)."""
    reasons: list[str] = []
    for locale in ranked_locales(wanted, case.locales):
        banner = build.renditions.get((case.case_ref, locale, fmt))
        reason = f"no {fmt} rendition in the build" if banner is None else gate.hold(banner)
        if banner is not None and reason is None:
            return banner
        reasons.append(str(reason))
    if reasons:
        batch.held[reasons[0]] += 1
    return None


def message_locale(config: Config, wanted: str) -> str:
    """The language of a message's own text: the reader's, unless nobody reviewed that
    translation (and the campaign does not allow that), then the next reviewed one."""
    if config.allow_unreviewed_locales:
        return wanted
    return next((tag for tag in fallback_chain(wanted) if review(tag).reviewed), "en")


def held_problems(batch: Batch) -> list[Problem]:
    """The held-back renditions as warnings (one line per reason)."""
    return [
        Problem(Severity.WARNING, "send-held", f"{n} renditions held back: {reason}")
        for reason, n in sorted(batch.held.items())
    ]


def _public(build: Build) -> list[CaseInfo]:
    return [case for case in build.cases if case.case_ref not in build.restricted]
