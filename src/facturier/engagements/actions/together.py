"""Most of a month's run: the batch's engagements whose due periods are plain fixed fees,
billed together. Their drafts are checked one by one (a refusal fails its engagement
only), then written with their periods and audit rows by one INSERT per table for the
whole batch, in a savepoint: if another run billed one of these periods meanwhile, the
unique key refuses the batch, the savepoint takes it back, and each engagement is billed
alone (billing.py), each period once.

Billed alone instead: an engagement with a revision to record, time to bill, a deposit to
deduct, a failure kept, or drafts to finalize and send. Both ways write the same rows
(tests/engagements/test_billing_together.py compares them)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from facturier.clients.permissions import visible_client_ids
from facturier.core import compiled_sql
from facturier.core.errors import DomainError
from facturier.invoicing import actions as invoicing_actions

from ..models import BillingMode, Engagement, Revision
from ..revisions import planned
from ..selectors import Billed, DuePeriod, due_and_next, related
from .day_invoice import announce, billed_event, content, period_rows
from .outcomes import RunResult, fail, kept_failure
from .upcoming import keep_next_bill_date


@dataclass
class _Day:
    """One engagement's invoice of a billing day, checked, written with its batch."""

    engagement: Engagement
    periods: list[DuePeriod]
    revisions: list[Revision]
    draft: invoicing_actions.PreparedDraft


def bill_together(
    batch: list[Engagement], *, as_of, by, now, result: RunResult, billed, moved
) -> list[Engagement]:
    """Bills at once the batch's engagements whose due periods are plain fixed fees
    (most of a month's run): their drafts, periods and audit rows written by one INSERT
    per table. Returns the engagements to bill one by one (_run_one): those with a
    revision to record, time to bill, a deposit, a failure kept, or drafts to finalize;
    all of them if another run billed one of these periods meanwhile (the unique key
    refused the batch, whose savepoint took it back)."""
    alone, days, together = [], [], []
    clients = _clients(batch, by)
    series: dict = {}  # index values, read once for the batch (revisions.index_on)
    for engagement in batch:
        plain = _plain_due(engagement, as_of=as_of, billed=billed[engagement.pk], series=series)
        if plain is None:
            alone.append(engagement)
            continue
        due, following = plain
        try:
            made = _days(engagement, due, as_of=as_of, by=by, clients=clients)
        except DomainError as exc:
            fail(engagement, exc, now=now, result=result)
            continue
        days += made
        together.append((engagement, following))
    try:
        with transaction.atomic():
            _write_days(days, by=by, now=now)
    except IntegrityError:
        return [*alone, *(engagement for engagement, _ in together)]
    for day in days:
        result.invoices.append(day.draft.invoice)
        result.periods += len(day.periods)
        for due in day.periods:
            billed[day.engagement.pk][due.mission.pk, due.part].add(due.period.start)
    for engagement, following in together:
        keep_next_bill_date(engagement, following, moved=moved)
    return alone


def _clients(batch: list[Engagement], by) -> dict[int, object]:
    """The batch's clients `by` sees, with their firm, as create_draft would read each (it
    still asks, per draft, whether `by` may bill the client)."""
    visible = visible_client_ids(by, {engagement.client_id for engagement in batch})
    clients = {}
    for engagement in batch:
        if engagement.client_id in visible:
            client = engagement.client
            type(client).firm.field.set_cached_value(client, by.firm)
            clients[client.pk] = client
    return clients


def _plain_due(
    engagement: Engagement, *, as_of, billed: Billed, series: dict
) -> tuple[list[DuePeriod], datetime.date | None] | None:
    """The engagement's due periods if they are fixed fees only, for a draft left for
    review with nothing else to do first, and its next billing day once they are
    billed; None otherwise (billed alone)."""
    if (
        engagement.billing_mode != BillingMode.DRAFT
        or engagement.deposit_invoice_id is not None
        or kept_failure(engagement) is not None
    ):
        return None
    try:
        coming = planned(engagement, through=as_of, series=series)
    except DomainError:
        return None
    known = {revision.effective_date for revision in related(engagement, "revisions")}
    if any(revision.effective_date not in known for revision in coming):
        return None
    due, following = due_and_next(engagement, as_of=as_of, billed=billed)
    return None if any(each.is_time for each in due) else (due, following)


def _days(engagement, due: list[DuePeriod], *, as_of, by, clients) -> list[_Day]:
    """The engagement's drafts of each billing day, checked (a fixed fee always makes a
    line: each day has its draft)."""
    by_day: dict[datetime.date, list[DuePeriod]] = defaultdict(list)
    for each in due:
        by_day[each.period.bill_date].append(each)
    days = []
    for day in sorted(by_day):
        lines, fields, revisions = content(engagement, by_day[day], [], as_of=as_of)
        draft = invoicing_actions.prepare_draft(
            by=by, client=engagement.client_id, lines=lines, clients=clients, **fields
        )
        days.append(_Day(engagement, by_day[day], revisions, draft))
    return days


def _write_days(days: list[_Day], *, by, now) -> None:
    """The drafts, then their periods, revisions told and the engagements' audit rows."""
    invoicing_actions.create_drafts(by=by, drafts=[day.draft for day in days], now=now)
    rows = []
    for day in days:
        rows += period_rows(day.engagement, day.periods, [], day.draft.invoice, now=now)
        announce(day.revisions, day.draft.invoice)
    compiled_sql.insert(rows)
    compiled_sql.insert(
        [
            billed_event(day.engagement, day.periods, [], day.draft.invoice, by=by, now=now)
            for day in days
        ]
    )
