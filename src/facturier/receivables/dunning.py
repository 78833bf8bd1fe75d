"""Which reminder level an invoice is due: the rule the worker's pass, "Send a reminder
now" and the dialog's preview share."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Max, Q, Sum

from facturier.invoicing.models import DocumentKind, Invoice

from . import rules
from .models import Payment, ReminderItem, ReminderLevel, ReminderPause


def levels_of(firm_id: int) -> tuple[list[ReminderLevel], dict[int, int]]:
    """The firm's levels by day, and each one's rank (1 for the first reminder)."""
    levels = list(ReminderLevel.objects.filter(firm_id=firm_id).order_by("days"))
    return levels, {level.pk: rank for rank, level in enumerate(levels, start=1)}


def level_due(
    levels: list[ReminderLevel], days_from_due: int, last_days: int | None, *, now_asked: bool
) -> ReminderLevel | None:
    """The level to send: never one at or below the last one sent. The worker sends the
    highest whose day has come (no three letters at once after a holiday); a person
    asking now gets the next one, whatever its day."""
    later = [level for level in levels if last_days is None or level.days > last_days]
    if now_asked:
        return later[0] if later else None
    reached = [level for level in later if level.days <= days_from_due]
    return reached[-1] if reached else None


def last_levels(invoice_ids) -> dict[int, int]:
    """Invoice id -> the day of the last level it was reminded at."""
    return dict(
        ReminderItem.objects.filter(invoice__in=list(invoice_ids))
        .values("invoice_id")
        .annotate(days=Max("level__days"))
        .values_list("invoice_id", "days")
        .order_by()
    )


def client_credit(client_ids: set[int]) -> dict[tuple[int, str], Decimal]:
    """(client, currency) -> the client's money not yet spent: payments' remainders and
    credit notes' credit left, read in one query (each side from its partial index)."""
    payments = (
        Payment.objects.filter(client_id__in=client_ids, unallocated__gt=0)
        .values_list("client_id", "currency")
        .annotate(total=Sum("unallocated"))
        .order_by()
    )
    notes = (
        Invoice.objects.filter(
            client_id__in=client_ids, kind=DocumentKind.CREDIT_NOTE, credit_left__gt=0
        )
        .values_list("client_id", "currency")
        .annotate(total=Sum("credit_left"))
        .order_by()
    )
    credit: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for client_id, currency, total in payments.union(notes, all=True):
        credit[client_id, currency] += total
    return credit


def covered_by_credit(invoices: list[Invoice]) -> set[int]:
    """Invoices whose balance the client's credit pays (oldest due first)."""
    credit = client_credit({invoice.client_id for invoice in invoices})
    covered = set()
    owing = [i for i in invoices if i.balance and i.due_date and i.kind == DocumentKind.INVOICE]
    for invoice in sorted(owing, key=lambda i: (i.due_date, i.pk)):
        key = (invoice.client_id, invoice.currency)
        if credit.get(key, 0) >= invoice.balance:
            credit[key] -= invoice.balance
            covered.add(invoice.pk)
    return covered


def reminder_blocks(invoices: list[Invoice], *, today: datetime.date) -> dict[int, rules.Reason]:
    """Invoice id -> why "Send a reminder" cannot remind it now, the invoice's state
    first (rules.state_refusal), then what the firm's data says: a pause (its own or its
    client's), the client's credit covering it, no level left to send. An invoice absent
    from the answer can be reminded. The dialog, the toolbar and the action read this,
    so a refusal is said before the form is filled, not after it is sent."""
    blocks: dict[int, rules.Reason] = {}
    for invoice in invoices:
        if (reason := rules.state_refusal("remind", invoice, today=today)) is not None:
            blocks[invoice.pk] = reason
    open_ = [invoice for invoice in invoices if invoice.pk not in blocks]
    if not open_:
        return blocks
    paused = set(
        ReminderPause.objects.filter(
            Q(invoice__in=open_) | Q(client_id__in={invoice.client_id for invoice in open_})
        ).values_list("invoice_id", "client_id")
    )
    paused_invoices = {invoice_id for invoice_id, _client in paused if invoice_id}
    paused_clients = {client_id for _invoice, client_id in paused if client_id}
    covered = covered_by_credit(open_)
    levels_by_firm = {firm_id: levels_of(firm_id)[0] for firm_id in {i.firm_id for i in open_}}
    last = last_levels(invoice.pk for invoice in open_)
    for invoice in open_:
        levels = levels_by_firm[invoice.firm_id]
        if invoice.pk in paused_invoices or invoice.client_id in paused_clients:
            blocks[invoice.pk] = rules.PAUSED
        elif invoice.pk in covered:
            blocks[invoice.pk] = rules.COVERED
        elif not levels:
            blocks[invoice.pk] = rules.NO_LEVELS
        elif level_due(levels, 0, last.get(invoice.pk), now_asked=True) is None:
            blocks[invoice.pk] = rules.LEVELS_SENT
    return blocks
