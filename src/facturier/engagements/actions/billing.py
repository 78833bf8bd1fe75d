"""The recurring run: every engagement's periods come due, billed once each.

An engagement billed alone is billed in its own savepoint: one that fails (an index value missing,
a draft refused) is reported, kept on the billing-run page (RunFailure) and the others
go on. A period's row in BilledPeriod is written with its draft; a second run, or a run
at the same time in another process, meets the unique constraint on (mission, period
start) and leaves that period alone (PostgreSQL makes the second writer wait for the
first to commit, then refuses it).

Two runs share this code: a person's (the button, the API, `bill_engagements`), over the
clients they manage, and the worker's periodic pass, over every engagement, each billed
as its responsible staff member (each engagement in a transaction of its own, the
engagement locked and read again: a pause committed meanwhile is obeyed). An engagement
whose invoices are to be finalized and sent has each draft finalized and e-mailed in a
savepoint of its own after its draft is written: a refusal there leaves the draft for
review and says why, on the page until that draft is finalized or gone; the next run
(or the page's retry) tries to finalize it again.

Most engagements of a person's run are billed together, by batches (together.py):
their drafts, periods and audit rows written by one INSERT per table; the others, and a
batch another run got ahead of, one by one here.

A day's draft deducts the engagement's deposit invoice once it is received (deposits.py),
in the draft's savepoint: a deposit goes with its draft or not at all, and before the
draft is finalized. One larger than the draft waits for a later invoice.
"""

import datetime
import logging
import time
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.clients.permissions import Rights, lend_rights, read_rights
from facturier.core import clock, compiled_sql
from facturier.core.actions import action
from facturier.core.errors import DomainError, Invalid
from facturier.firms import audit
from facturier.firms.models import Firm, User
from facturier.invoicing import actions as invoicing_actions
from facturier.invoicing.emails import default_message, default_subject, recipients_for
from facturier.invoicing.models import Invoice, InvoiceStatus

from ..models import BillingMode, Engagement, Revision, RunFailure
from ..permissions import manage_refusal, manageable_client_ids, run_refusal
from ..revisions import planned
from ..selectors import (
    Billed,
    DuePeriod,
    billed_starts,
    billed_starts_of,
    due_periods,
    with_related,
)
from .day_invoice import announce, billed_event, content, period_rows
from .deposits import deduct_from
from .outcomes import RunResult, fail, kept_draft, kept_failure
from .time_periods import hold, time_bill
from .together import bill_together
from .upcoming import refresh_next_bill_date, write_next_bill_dates

logger = logging.getLogger(__name__)

# How far ahead a run may bill (periods billed in advance, a year's instalments).
AHEAD = datetime.timedelta(days=400)


@action
def bill_due_periods(
    firm: Firm,
    *,
    by: User,
    as_of: datetime.date,
    engagement: Engagement | int | None = None,
    now: datetime.datetime | None = None,
) -> RunResult:
    """One invoice per engagement and billing day come due by `as_of`, for the
    engagements of the clients `by` owns (with the processing permission); only
    `engagement`'s when one is given (the billing-run page's retry)."""
    refusal = run_refusal(by)
    if refusal is not None:
        raise refusal
    if as_of > clock.now(now).date() + AHEAD:
        raise Invalid(
            {"as_of": [_("Bill at most a year ahead.")]}, codes={"as_of": ["too_far_ahead"]}
        )
    engagements = _billable(as_of).filter(
        firm_id=getattr(firm, "pk", firm), client_id__in=manageable_client_ids(by)
    )
    if engagement is not None:
        engagements = engagements.filter(pk=getattr(engagement, "pk", engagement))
    result = RunResult()
    for batch, billed in _batches(engagements):
        moved: list[Engagement] = []
        for each in bill_together(
            batch, as_of=as_of, by=by, now=now, result=result, billed=billed, moved=moved
        ):
            _run_one(
                each,
                as_of=as_of,
                by=by,
                now=now,
                result=result,
                billed=billed[each.pk],
                moved=moved,
            )
        write_next_bill_dates(moved)
    return result


# Engagements read, locked and billed at a time by a person's run.
BATCH_SIZE = 500


def _batches(engagements: QuerySet[Engagement]):
    """The engagements by batches, each locked, then read with what the run needs of
    them (selectors.with_related) and the periods they billed: a few queries a batch, not
    a few an engagement.

    The rows are locked in the order of their keys, batch after batch (PostgreSQL; the
    locks held to the run's end): two runs at once over overlapping engagements take
    them in the same order, so one waits for the other, then reads what it billed,
    instead of each holding a period the other needs (a batch writes the engagements
    billed together before those billed alone). The worker's pass skips them meanwhile.
    A period billed by another run all the same is refused by the unique key."""
    ids = list(engagements.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = engagements.filter(pk__in=ids[start : start + BATCH_SIZE])
        # The engagements alone, their clients and failures read by with_related: a
        # JOIN would build a client per engagement (five engagements share one) and
        # read an empty failure's columns on every row.
        batch = list(chunk.select_related(None).select_for_update(of=("self",)).order_by("pk"))
        with_related(batch, clients=True)
        yield batch, billed_starts_of(batch)


def bill_engagements_due(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> RunResult:
    """The worker's periodic pass over every firm: each engagement's periods come due by
    today, billed as its responsible staff member. A pass that was down for days bills
    each missed period once, marked late."""
    now = clock.now(now)
    today = today or timezone.localdate(now)
    result = RunResult()
    engagements = _billable(today).select_related("responsible")
    rights: dict[int, Rights] = {}
    read_at = time.monotonic()
    for index, engagement in enumerate(engagements.order_by("pk").iterator(chunk_size=500)):
        if index % RIGHTS_KEPT_FOR == 0 or time.monotonic() - read_at > RIGHTS_KEPT_SECONDS:
            rights.clear()
            read_at = time.monotonic()
        # What it says on the billing-run page, in the words of the one who reads it.
        language = engagement.responsible.language or engagement.client.language
        with translation.override(language):
            try:
                _bill_as_responsible(engagement, today=today, now=now, result=result, rights=rights)
            except Exception:  # noqa: BLE001 - one engagement's failure never stops the pass
                logger.exception("Engagement %s could not be billed", engagement.pk)
    return result


# Each responsible's rights (the processing permission, the clients they own) are read
# at their first engagement and kept for this many of the pass's engagements, and no
# longer than this many seconds: a right taken away during a long pass stops the
# billing within them.
RIGHTS_KEPT_FOR = 500
RIGHTS_KEPT_SECONDS = 30


@action
def _bill_as_responsible(
    engagement: Engagement, *, today, now, result: RunResult, rights: dict[int, Rights]
) -> None:
    """One engagement of the periodic pass, in a transaction of its own. An engagement
    another worker is billing right now is skipped, not waited for (PostgreSQL's SKIP
    LOCKED): two workers' passes, which walk the engagements in the same order, share
    them instead of queueing behind each other. What the other worker bills is its;
    if it fails or is killed, its transaction takes the period back and the next pass
    (each worker's first, at its start) bills it, marked late."""
    engagement = (
        Engagement.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("client", "responsible", "run_failure__invoice")
        .prefetch_related(*BATCH)
        .filter(pk=engagement.pk, paused_from__isnull=True)
        .first()
    )
    if engagement is None:
        return  # paused (or gone) since the pass read it
    by = engagement.responsible
    if by.pk in rights:
        lend_rights(by, rights[by.pk])
    else:
        rights[by.pk] = read_rights(by)
    if not by.is_active or manage_refusal(by, engagement.client_id) is not None:
        fail(engagement, ResponsibleMayNotBill(), now=now, result=result)
        return
    _run_one(engagement, as_of=today, by=by, now=now, result=result)


class ResponsibleMayNotBill(DomainError):
    code = "responsible_may_not_bill"
    status = 409
    default_message = gettext_lazy(
        "Its responsible staff member may not bill this client: name one who owns the "
        "client and has the processing permission."
    )


# What the worker's pass reads with the engagement it bills: the missions and their
# instalments, the revisions (the failure comes with the engagement's row).
BATCH = ("missions__instalments", "revisions")


def _billable(as_of: datetime.date) -> QuerySet[Engagement]:
    engagements = Engagement.objects.filter(start_date__lte=as_of, paused_from__isnull=True)
    return engagements.select_related("client", "run_failure__invoice")


def _run_one(
    engagement: Engagement,
    *,
    as_of,
    by,
    now,
    result: RunResult,
    billed: Billed | None = None,
    moved: list[Engagement] | None = None,
) -> None:
    """`billed`: the periods the engagement billed, when read with its batch; `moved`:
    where its next billing day goes when the batch writes them at once."""
    made = len(result.invoices)
    try:
        with transaction.atomic():
            _revise(engagement, as_of=as_of, by=by, now=now)
            billed = _bill(engagement, as_of=as_of, by=by, now=now, result=result, billed=billed)
    except DomainError as exc:
        fail(engagement, exc, now=now, result=result)
        return
    kept = kept_draft(engagement)
    if kept_failure(engagement) is not None:
        # A failure is gone once its engagement bills, but for a draft whose finalization
        # was refused: that one stays on the page while the draft waits.
        RunFailure.objects.filter(engagement=engagement).exclude(
            invoice__status=InvoiceStatus.DRAFT
        ).delete()
    refresh_next_bill_date(engagement, billed=billed, moved=moved)
    if engagement.billing_mode == BillingMode.FINALIZE:
        for invoice in [*([kept] if kept else []), *result.invoices[made:]]:
            if _finalize_and_send(engagement, invoice, by=by, now=now, result=result):
                RunFailure.objects.filter(engagement=engagement, invoice=invoice).delete()


def _finalize_and_send(engagement, invoice: Invoice, *, by, now, result: RunResult) -> bool:
    """Finalize the draft the run made and e-mail it to the billing contact (a client
    whose invoices go through the e-invoicing platform has it deposited on
    finalizing); a refusal leaves the draft for review, on the billing-run page."""
    try:
        with transaction.atomic():
            invoicing_actions.finalize_invoice(invoice, by=by, now=now)
            if recipients_for(invoice):
                language = invoice.client.language
                invoicing_actions.send_invoices(
                    [invoice],
                    by=by,
                    subject=default_subject(language),
                    message=default_message(language),
                    now=now,
                )
    except DomainError as exc:
        fail(engagement, exc, now=now, result=result, invoice=invoice)
        return False
    return True


def _revise(engagement: Engagement, *, as_of, by, now) -> None:
    coming = planned(engagement, through=as_of)
    if not coming:
        return
    known = {revision.effective_date for revision in engagement.revisions.all()}
    if known.issuperset(revision.effective_date for revision in coming):
        return
    # The prefetched revisions are stale from here: read again when next asked.
    getattr(engagement, "_prefetched_objects_cache", {}).pop("revisions", None)
    for revision in coming:
        if revision.effective_date in known:
            continue
        try:
            with transaction.atomic():
                made = Revision.objects.create(
                    engagement=engagement,
                    effective_date=revision.effective_date,
                    factor=revision.factor,
                    percent=revision.percent,
                    base_index=revision.base_index,
                    new_index=revision.new_index,
                )
        except IntegrityError:
            continue  # recorded by a run at the same time
        audit.record(
            "engagement.revised",
            engagement,
            by=by,
            firm_id=engagement.firm_id,
            at=clock.now(now),
            details={"date": made.effective_date, "percent": made.percent, "factor": made.factor},
        )


def _bill(engagement: Engagement, *, as_of, by, now, result: RunResult, billed=None) -> Billed:
    """Bills the periods come due; returns the periods billed now (by this run or, the
    unique key says, by another at the same time) and before."""
    billed = billed_starts(engagement) if billed is None else billed
    by_day: dict[datetime.date, list[DuePeriod]] = defaultdict(list)
    for due in due_periods(engagement, as_of=as_of, billed=billed):
        by_day[due.period.bill_date].append(due)
    for day in sorted(by_day):
        try:
            with transaction.atomic():
                invoice = _draft(engagement, by_day[day], as_of=as_of, by=by, now=now)
        except IntegrityError:
            result.skipped += len(by_day[day])
            continue
        if invoice is not None:
            result.invoices.append(invoice)
        result.periods += len(by_day[day])
    for due in (due for day in by_day.values() for due in day):
        billed[due.mission.pk, due.part].add(due.period.start)
    return billed


def _draft(engagement: Engagement, periods: list[DuePeriod], *, as_of, by, now):
    """The invoice of one billing day: the fixed fees' lines, then each time period's
    (an invoice only if there is something to bill); each period recorded once."""
    fixed = [due for due in periods if not due.is_time]
    timed = [time_bill(engagement, due) for due in periods if due.is_time]
    lines, fields, revisions = content(engagement, fixed, timed, as_of=as_of)
    invoice = None
    if lines:
        invoice = invoicing_actions.create_draft(
            by=by, client=engagement.client, lines=lines, now=now, **fields
        )
        hold(invoice, timed, by=by, now=now)
        deduct_from(engagement, invoice, by=by, now=now)
    compiled_sql.insert(period_rows(engagement, fixed, timed, invoice, now=now))
    if invoice is None:
        return None
    announce(revisions, invoice)
    compiled_sql.insert([billed_event(engagement, periods, timed, invoice, by=by, now=now)])
    return invoice
