"""Payments received from clients: record (and allocate), correct, delete."""

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client
from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.core.formatting import for_reader
from facturier.firms import audit
from facturier.firms.models import User
from facturier.invoicing import actions as invoicing

from .. import events
from ..events import AuditName
from ..models import Payment
from .allocation_plan import ClientMoney, apply, plan, undo
from .common import amount_in, day_in, lock_payment, require_right, visible_client

EDITABLE_FIELDS = ("received_on", "amount", "method", "reference")


@action
def record_payment(
    *,
    by: User,
    client: Client | int,
    amount,
    received_on,
    method: str = Payment.Method.TRANSFER,
    reference: str = "",
    currency: str | None = None,
    allocations: Sequence[Mapping[str, Any]] | None = None,
    now: datetime.datetime | None = None,
) -> Payment:
    """Record money received from a client and allocate it.

    `allocations`: None spreads it over the client's open invoices, oldest due date
    first; else the invoices to pay, each with an amount or not (see `plan`). What
    is left is the client's credit.
    """
    require_right(by)
    client = visible_client(by, client)
    at = clock.now(now)
    payment = _checked_payment(
        client,
        by=by,
        at=at,
        fields={
            "currency": str(currency or client.currency or "EUR").upper(),
            "method": method,
            "reference": reference if isinstance(reference, str) else "",
        },
        amount=amount,
        received_on=received_on,
    )
    payment.unallocated = payment.amount
    payment.save()
    money = ClientMoney(payment)
    events.payment_recorded(payment=payment, by=by, at=at)
    apply(money, plan(money, allocations, by=by), by=by, at=at, on=payment.received_on)
    audit.record(
        AuditName.PAYMENT_RECORDED,
        payment,
        by=by,
        firm_id=payment.firm_id,
        at=at,
        details={
            "client": client.name,
            "amount": payment.amount,
            "currency": payment.currency,
            "unallocated": payment.unallocated,
        },
    )
    return payment


def _checked_payment(
    client: Client, *, by: User, at: datetime.datetime, fields: dict, amount, received_on
) -> Payment:
    """The payment as typed, every field checked (Invalid names each refused one)."""
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    payment = Payment(
        firm_id=client.firm_id, client=client, recorded_by=by, recorded_at=at, **fields
    )
    try:
        payment.clean_fields(
            exclude=["firm", "client", "recorded_by", "amount", "received_on", "unallocated"]
        )
    except ValidationError as exc:
        invalid = Invalid.from_django(exc)
        errors.update(invalid.errors)
        codes.update(invalid.codes)
    safe_currency = payment.currency if "currency" not in errors else "EUR"
    payment.amount = amount_in(amount, safe_currency, "amount", errors, codes)
    payment.received_on = day_in(
        received_on, "received_on", errors, codes, today=timezone.localdate(at)
    )
    if errors:
        raise Invalid(errors, codes=codes)
    return payment


@action
def delete_payment(
    payment: Payment | int, *, by: User, now: datetime.datetime | None = None
) -> None:
    """Remove a payment recorded by mistake, and everything it paid."""
    require_right(by)
    payment = lock_payment(by, payment)
    allocations = list(payment.allocations.all())
    invoices = invoicing.lock_invoices(
        [a.invoice_id for a in allocations if a.invoice_id], by=by, firm_id=payment.firm_id
    )
    at = clock.now(now)
    money = ClientMoney(payment)
    for allocation in allocations:
        undo(allocation, money, invoices.get(allocation.invoice_id), by=by, at=at)
    audit.record(
        AuditName.PAYMENT_DELETED,
        payment,
        by=by,
        firm_id=payment.firm_id,
        at=at,
        details={
            "client": payment.client.name,
            "amount": payment.amount,
            "currency": payment.currency,
            "received_on": payment.received_on,
        },
    )
    events.payment_removed(payment=payment, by=by, at=at)
    payment.delete()


@action
def update_payment(
    payment: Payment | int, *, by: User, now: datetime.datetime | None = None, **fields
) -> Payment:
    """Correct a payment's date, amount (not below what it allocated), method or reference."""
    require_right(by)
    payment = lock_payment(by, payment)
    at = clock.now(now)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid(
            {name: [_("This field cannot be set.")] for name in sorted(unknown)},
            codes={name: ["read_only"] for name in sorted(unknown)},
        )
    before = audit.values(payment, fields)
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    allocated = payment.amount - payment.unallocated
    if "amount" in fields:
        value = amount_in(fields["amount"], payment.currency, "amount", errors, codes)
        if value is not None and value < allocated:
            errors["amount"] = [
                _("%(allocated)s of this payment is allocated: remove allocations first.")
                % {"allocated": for_reader(payment.currency).money(allocated)}
            ]
            codes["amount"] = ["below_allocated"]
        elif value is not None:
            payment.amount, payment.unallocated = value, value - allocated
    if "received_on" in fields:
        day = day_in(
            fields["received_on"], "received_on", errors, codes, today=timezone.localdate(at)
        )
        if day is not None:
            payment.received_on = day
    for name in ("method", "reference"):
        if name in fields:
            setattr(payment, name, fields[name])
    if errors:
        raise Invalid(errors, codes=codes)
    try:
        payment.full_clean(exclude=["firm", "client", "recorded_by"])
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    payment.save()
    changes = audit.changes(before, audit.values(payment, fields))
    audit.record(
        AuditName.PAYMENT_UPDATED, payment, by=by, firm_id=payment.firm_id, at=at, details=changes
    )
    if changes:
        events.payment_changed(payment=payment, changes=changes, by=by, at=at)
    return payment
