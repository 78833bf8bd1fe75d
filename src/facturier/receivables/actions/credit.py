"""The client's credit: what payments have not allocated and what credit notes left,
allocated to later invoices or refunded; and taking an allocation back."""

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import Invalid, NotFound
from facturier.core.formatting import for_reader
from facturier.firms import audit
from facturier.firms.models import User
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.invoicing.permissions import visible_invoices

from ..events import AuditName
from ..models import Allocation, Payment
from ..permissions import visible_payments
from .allocation_plan import ClientMoney, apply, plan, undo
from .common import (
    NO_SUCH_ALLOCATION,
    amount_in,
    day_in,
    lock_credit_note,
    lock_payment,
    require_right,
)

NOTHING_LEFT = _("Nothing is left to allocate.")


def _allocate(money: ClientMoney, allocations, *, by, on, now) -> None:
    at = clock.now(now)
    day = on or timezone.localdate(at)
    if money.remaining <= 0:
        raise Invalid({"allocations": [NOTHING_LEFT]}, codes={"allocations": ["exceeds_payment"]})
    planned = plan(money, allocations, by=by)
    since = money.source.received_on if money.is_payment else money.source.issue_date
    apply(money, planned, by=by, at=at, on=max(day, since))


@action
def allocate_payment(
    payment: Payment | int,
    *,
    by: User,
    allocations: Sequence[Mapping[str, Any]] | None = None,
    on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Payment:
    """Allocate what a payment has left (the client's credit) to invoices (see `plan`)."""
    require_right(by)
    payment = lock_payment(by, payment)
    _allocate(ClientMoney(payment), allocations, by=by, on=on, now=now)
    return payment


@action
def allocate_credit_note(
    credit_note: Invoice | int,
    *,
    by: User,
    allocations: Sequence[Mapping[str, Any]] | None = None,
    on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Invoice:
    """Allocate what a credit note left as credit to the client's other invoices."""
    require_right(by)
    credit_note = lock_credit_note(by, credit_note)
    _allocate(ClientMoney(credit_note), allocations, by=by, on=on, now=now)
    return credit_note


def _refund(money: ClientMoney, *, by, amount, on, now) -> Allocation:
    at = clock.now(now)
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    value = amount_in(amount, money.currency, "amount", errors, codes)
    day = day_in(on or timezone.localdate(at), "on", errors, codes, today=timezone.localdate(at))
    if value is not None and value > money.remaining:
        errors["amount"] = [
            _("%(left)s is left to refund.")
            % {"left": for_reader(money.currency).money(money.remaining)}
        ]
        codes["amount"] = ["exceeds_payment"]
    if errors:
        raise Invalid(errors, codes=codes)
    since = money.source.received_on if money.is_payment else money.source.issue_date
    refund = Allocation.objects.create(
        firm_id=money.firm_id,
        invoice=None,
        amount=value,
        on=max(day, since),
        created_by=by,
        created_at=at,
        **money.origin(),
    )
    money.remaining -= value
    money.save()
    audit.record(
        AuditName.CREDIT_REFUNDED,
        money.source,
        by=by,
        firm_id=money.firm_id,
        at=at,
        details={"amount": value, "currency": money.currency},
    )
    return refund


@action
def refund_credit(
    payment: Payment | int, *, by: User, amount, on=None, now: datetime.datetime | None = None
) -> Allocation:
    """Record that part of a payment's remainder went back to the client."""
    require_right(by)
    return _refund(ClientMoney(lock_payment(by, payment)), by=by, amount=amount, on=on, now=now)


@action
def refund_credit_note(
    credit_note: Invoice | int, *, by: User, amount, on=None, now: datetime.datetime | None = None
) -> Allocation:
    """Record that part of a credit note's credit was paid back to the client."""
    require_right(by)
    money = ClientMoney(lock_credit_note(by, credit_note))
    return _refund(money, by=by, amount=amount, on=on, now=now)


@action
def remove_allocation(
    allocation: Allocation | int, *, by: User, now: datetime.datetime | None = None
) -> Payment | Invoice:
    """Take an allocation back: the invoice owes it again, the money has it again."""
    require_right(by)
    pk = row_id(allocation)
    row = None
    if pk is not None:
        row = (
            Allocation.objects.filter(_visible_q(by), pk=pk)
            .values_list("payment_id", "credit_note_id", "invoice_id")
            .first()
        )
    if row is None:
        raise NotFound(NO_SUCH_ALLOCATION)
    payment_id, credit_note_id, invoice_id = row
    if payment_id:
        money = ClientMoney(lock_payment(by, payment_id))
    else:
        money = ClientMoney(lock_credit_note(by, credit_note_id))
    invoices = invoicing.lock_invoices(
        [invoice_id] if invoice_id else [], by=by, firm_id=money.firm_id
    )
    allocation = Allocation.objects.filter(pk=pk, **money.origin()).first()
    if allocation is None:  # removed by someone else while we waited for the lock
        raise NotFound(NO_SUCH_ALLOCATION)
    at = clock.now(now)
    undo(allocation, money, invoices.get(allocation.invoice_id), by=by, at=at)
    money.save()
    audit.record(
        AuditName.CREDIT_UNALLOCATED,
        money.source,
        by=by,
        firm_id=money.firm_id,
        at=at,
        details={"amount": allocation.amount, "invoice": invoice_id},
    )
    return money.source


def _visible_q(by) -> Q:
    """Allocations of money the user may see: of payments or credit notes they see."""
    return Q(payment__in=visible_payments(by)) | Q(credit_note__in=visible_invoices(by))
