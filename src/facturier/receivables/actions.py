"""Every change of receivables state: payments, their allocations, refunds of credit.

Each allocation moves an invoice's balance through `invoicing.actions.move_balance`
(which writes the invoice's event and closes or reopens it). Locks are taken in one
order everywhere: the payment first, then its invoices by ascending id, so two
people paying the same invoice or spending the same credit wait for each other
and the second one sees what the first one left.
"""

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client
from facturier.clients.permissions import visible_clients
from facturier.core import clock, money
from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.firms import audit
from facturier.invoicing import actions as invoicing
from facturier.invoicing.lifecycle import Action, Status
from facturier.invoicing.models import Invoice

from .models import Allocation, Payment
from .permissions import payment_refusal, visible_payments

NO_SUCH_CLIENT = _("No such client.")
NO_SUCH_PAYMENT = _("No such payment.")
NO_SUCH_ALLOCATION = _("No such allocation.")
EDITABLE_FIELDS = ("received_on", "amount", "method", "reference")
# 12 digits before the point: what the amount columns hold.
LARGEST = Decimal("999999999999.99")


def _require_right(by) -> None:
    refusal = payment_refusal(by)
    if refusal is not None:
        raise refusal


def _amount(value, currency: str, field: str, errors: dict, codes: dict) -> Decimal | None:
    """A positive amount in the currency's minor unit, or an error under `field`."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite():
        errors[field] = [_("Enter an amount, such as 120.50.")]
        codes[field] = ["invalid"]
    elif amount <= 0:
        errors[field] = [_("The amount must be more than zero.")]
        codes[field] = ["not_positive"]
    elif amount > LARGEST:
        errors[field] = [_("The amount is too large.")]
        codes[field] = ["max_value"]
    elif amount != money.quantize(amount, currency):
        errors[field] = [
            _("Use at most %(places)d decimal places for %(currency)s.")
            % {"places": -money.minor_unit(currency).as_tuple().exponent, "currency": currency}
        ]
        codes[field] = ["decimal_places"]
    else:
        return money.quantize(amount, currency)
    return None


def _date(value, field: str, errors: dict, codes: dict, *, today: datetime.date):
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value))
        except ValueError:
            errors[field] = [_("Enter a date as YYYY-MM-DD.")]
            codes[field] = ["invalid"]
            return None
    if value > today:
        errors[field] = [_("The date cannot be later than today.")]
        codes[field] = ["future"]
        return None
    return value


def _plan(
    payment: Payment,
    requested: Sequence[Mapping[str, Any]] | None,
    *,
    by,
) -> list[tuple[Invoice, Decimal]]:
    """Which invoice gets how much of the payment's remainder.

    `requested`: None spreads the remainder over all the client's open invoices; else
    a list of {"invoice": id, "amount": optional}. Amounts given are taken as given;
    the listed invoices without one share what is left, oldest due date first. What
    nothing takes stays on the payment as the client's credit.
    """
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    if requested is None:
        ids = list(
            Invoice.objects.filter(
                client_id=payment.client_id,
                currency=payment.currency,
                balance__gt=0,
            ).values_list("pk", flat=True)
        )
        wanted: list[tuple[int, Decimal | None]] = [(pk, None) for pk in ids]
    else:
        wanted = []
        for index, item in enumerate(requested):
            key = f"allocations.{index}"
            pk = item.get("invoice") if isinstance(item, Mapping) else None
            if isinstance(pk, Invoice):
                pk = pk.pk
            if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
                errors[f"{key}.invoice"] = [_("Choose an invoice.")]
                codes[f"{key}.invoice"] = ["required"]
                continue
            raw = item.get("amount")
            amount = None
            if raw not in (None, ""):
                amount = _amount(raw, payment.currency, f"{key}.amount", errors, codes)
                if amount is None:
                    continue
            wanted.append((pk, amount))
        if len({pk for pk, _ in wanted}) != len(wanted):
            errors["allocations"] = [_("An invoice is listed twice.")]
            codes["allocations"] = ["duplicate"]
    if errors:
        raise Invalid(errors, codes=codes)

    locked = invoicing.lock_invoices([pk for pk, _ in wanted], by=by, firm_id=payment.firm_id)
    for index, (pk, amount) in enumerate(wanted):
        invoice = locked[pk]
        key = f"allocations.{index}" if requested is not None else "allocations"
        if invoice.client_id != payment.client_id:
            errors[f"{key}.invoice"] = [
                _("Invoice %(invoice)s is not this client's.") % {"invoice": invoice}
            ]
            codes[f"{key}.invoice"] = ["other_client"]
        elif invoice.status == Status.DRAFT or invoice.balance is None:
            errors[f"{key}.invoice"] = [
                _("Invoice %(invoice)s is a draft: only finalized invoices are paid.")
                % {"invoice": invoice}
            ]
            codes[f"{key}.invoice"] = ["draft"]
        elif invoice.currency != payment.currency:
            errors[f"{key}.invoice"] = [
                _("Invoice %(invoice)s is in %(invoice_currency)s, the payment in %(currency)s.")
                % {
                    "invoice": invoice,
                    "invoice_currency": invoice.currency,
                    "currency": payment.currency,
                }
            ]
            codes[f"{key}.invoice"] = ["currency_mismatch"]
        elif amount is not None and amount > invoice.balance:
            errors[f"{key}.amount"] = [
                _("Invoice %(invoice)s has %(balance)s left to pay.")
                % {"invoice": invoice, "balance": invoice.balance}
            ]
            codes[f"{key}.amount"] = ["exceeds_balance"]
    if errors:
        raise Invalid(errors, codes=codes)

    given = sum((amount for _, amount in wanted if amount is not None), Decimal(0))
    if given > payment.unallocated:
        raise Invalid(
            {
                "allocations": [
                    _("The allocations (%(total)s) exceed what the payment has left (%(left)s).")
                    % {"total": given, "left": payment.unallocated}
                ]
            },
            codes={"allocations": ["exceeds_payment"]},
        )
    plan = [(locked[pk], amount) for pk, amount in wanted if amount is not None]
    left = payment.unallocated - given
    automatic = sorted(
        (locked[pk] for pk, amount in wanted if amount is None and locked[pk].balance > 0),
        key=lambda i: (i.due_date or i.issue_date, i.issue_date, i.pk),
    )
    for invoice in automatic:
        if left <= 0:
            break
        share = min(left, invoice.balance)
        plan.append((invoice, share))
        left -= share
    return plan


def _apply(payment: Payment, plan, *, by, at: datetime.datetime, on: datetime.date) -> None:
    for invoice, amount in plan:
        allocation = Allocation.objects.create(
            firm_id=payment.firm_id,
            payment=payment,
            invoice=invoice,
            amount=amount,
            on=on,
            created_by=by,
            created_at=at,
        )
        invoicing.move_balance(
            invoice,
            -amount,
            by=by,
            at=at,
            action=Action.PAYMENT,
            details=_event_details(payment, allocation),
        )
        payment.unallocated -= amount
    if plan:
        payment.save(update_fields=["unallocated"])


def _event_details(payment: Payment, allocation: Allocation) -> dict[str, Any]:
    return {
        "amount": str(allocation.amount),
        "currency": payment.currency,
        "payment": payment.pk,
        "allocation": allocation.pk,
        "method": payment.method,
        "received_on": payment.received_on.isoformat(),
        "reference": payment.reference,
    }


def _client(by, client: Client | int) -> Client:
    pk = client.pk if isinstance(client, Client) else client
    found = None
    if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk < 2**63:
        found = visible_clients(by).filter(pk=pk).first()
    if found is None:
        raise NotFound(NO_SUCH_CLIENT)
    return found


def _lock_payment(by, payment: Payment | int) -> Payment:
    pk = payment.pk if isinstance(payment, Payment) else payment
    found = None
    if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk < 2**63:
        found = (
            visible_payments(by)
            .select_for_update(of=("self",))
            .select_related("client")
            .filter(pk=pk)
            .first()
        )
    if found is None:
        raise NotFound(NO_SUCH_PAYMENT)
    return found


def _full_clean(payment: Payment) -> None:
    try:
        payment.full_clean(exclude=["firm", "client", "recorded_by"])
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None


@action
def record_payment(
    *,
    by,
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
    first; else the invoices to pay, each with an amount or not (see `_plan`). What
    is left is the client's credit.
    """
    _require_right(by)
    client = _client(by, client)
    at = clock.now(now)
    currency = str(currency or client.currency or "EUR").upper()
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    payment = Payment(
        firm_id=client.firm_id,
        client=client,
        currency=currency,
        method=method,
        reference=reference if isinstance(reference, str) else "",
        recorded_by=by,
        recorded_at=at,
    )
    try:
        payment.clean_fields(
            exclude=["firm", "client", "recorded_by", "amount", "received_on", "unallocated"]
        )
    except ValidationError as exc:
        invalid = Invalid.from_django(exc)
        errors.update(invalid.errors)
        codes.update(invalid.codes)
    safe_currency = currency if "currency" not in errors else "EUR"
    payment.amount = _amount(amount, safe_currency, "amount", errors, codes)
    payment.received_on = _date(
        received_on, "received_on", errors, codes, today=timezone.localdate(at)
    )
    if errors:
        raise Invalid(errors, codes=codes)
    payment.unallocated = payment.amount
    payment.save()
    plan = _plan(payment, allocations, by=by)
    _apply(payment, plan, by=by, at=at, on=payment.received_on)
    audit.record(
        "payment.record",
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


@action
def allocate_payment(
    payment: Payment | int,
    *,
    by,
    allocations: Sequence[Mapping[str, Any]] | None = None,
    on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Payment:
    """Allocate what a payment has left (the client's credit) to invoices."""
    _require_right(by)
    payment = _lock_payment(by, payment)
    at = clock.now(now)
    day = on or timezone.localdate(at)
    if payment.unallocated <= 0:
        raise Invalid(
            {"allocations": [_("This payment is fully allocated.")]},
            codes={"allocations": ["exceeds_payment"]},
        )
    plan = _plan(payment, allocations, by=by)
    _apply(payment, plan, by=by, at=at, on=max(day, payment.received_on))
    return payment


@action
def refund_credit(
    payment: Payment | int,
    *,
    by,
    amount,
    on=None,
    now: datetime.datetime | None = None,
) -> Allocation:
    """Record that part of a payment's remainder went back to the client."""
    _require_right(by)
    payment = _lock_payment(by, payment)
    at = clock.now(now)
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    value = _amount(amount, payment.currency, "amount", errors, codes)
    day = _date(on or timezone.localdate(at), "on", errors, codes, today=timezone.localdate(at))
    if value is not None and value > payment.unallocated:
        errors["amount"] = [
            _("The payment has %(left)s left to refund.") % {"left": payment.unallocated}
        ]
        codes["amount"] = ["exceeds_payment"]
    if errors:
        raise Invalid(errors, codes=codes)
    refund = Allocation.objects.create(
        firm_id=payment.firm_id,
        payment=payment,
        invoice=None,
        amount=value,
        on=max(day, payment.received_on),
        created_by=by,
        created_at=at,
    )
    payment.unallocated -= value
    payment.save(update_fields=["unallocated"])
    audit.record(
        "payment.refund",
        payment,
        by=by,
        firm_id=payment.firm_id,
        at=at,
        details={"amount": value, "currency": payment.currency},
    )
    return refund


def _undo(allocation: Allocation, payment: Payment, invoice: Invoice | None, *, by, at) -> None:
    if invoice is not None:
        invoicing.move_balance(
            invoice,
            allocation.amount,
            by=by,
            at=at,
            action=Action.PAYMENT_REMOVED,
            details=_event_details(payment, allocation),
        )
    payment.unallocated += allocation.amount
    allocation.delete()


@action
def remove_allocation(
    allocation: Allocation | int, *, by, now: datetime.datetime | None = None
) -> Payment:
    """Take an allocation back: the invoice owes it again, the payment has it again."""
    _require_right(by)
    pk = allocation.pk if isinstance(allocation, Allocation) else allocation
    row = None
    if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk < 2**63:
        row = (
            Allocation.objects.filter(pk=pk, payment__in=visible_payments(by))
            .values_list("payment_id", "invoice_id")
            .first()
        )
    if row is None:
        raise NotFound(NO_SUCH_ALLOCATION)
    payment = _lock_payment(by, row[0])
    invoices = invoicing.lock_invoices([row[1]] if row[1] else [], by=by, firm_id=payment.firm_id)
    allocation = Allocation.objects.filter(pk=pk, payment=payment).first()
    if allocation is None:  # removed by someone else while we waited for the lock
        raise NotFound(NO_SUCH_ALLOCATION)
    at = clock.now(now)
    _undo(allocation, payment, invoices.get(allocation.invoice_id), by=by, at=at)
    payment.save(update_fields=["unallocated"])
    audit.record(
        "payment.unallocate",
        payment,
        by=by,
        firm_id=payment.firm_id,
        at=at,
        details={"amount": allocation.amount, "invoice": row[1]},
    )
    return payment


@action
def delete_payment(payment: Payment | int, *, by, now: datetime.datetime | None = None) -> None:
    """Remove a payment recorded by mistake, and everything it paid."""
    _require_right(by)
    payment = _lock_payment(by, payment)
    allocations = list(payment.allocations.all())
    invoices = invoicing.lock_invoices(
        [a.invoice_id for a in allocations if a.invoice_id], by=by, firm_id=payment.firm_id
    )
    at = clock.now(now)
    for allocation in allocations:
        _undo(allocation, payment, invoices.get(allocation.invoice_id), by=by, at=at)
    audit.record(
        "payment.delete",
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
    payment.delete()


@action
def update_payment(
    payment: Payment | int, *, by, now: datetime.datetime | None = None, **fields
) -> Payment:
    """Correct a payment's date, amount (not below what it allocated), method or reference."""
    _require_right(by)
    payment = _lock_payment(by, payment)
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
        value = _amount(fields["amount"], payment.currency, "amount", errors, codes)
        if value is not None and value < allocated:
            errors["amount"] = [
                _("%(allocated)s of this payment is allocated: remove allocations first.")
                % {"allocated": allocated}
            ]
            codes["amount"] = ["below_allocated"]
        elif value is not None:
            payment.amount, payment.unallocated = value, value - allocated
    if "received_on" in fields:
        day = _date(
            fields["received_on"], "received_on", errors, codes, today=timezone.localdate(at)
        )
        if day is not None:
            payment.received_on = day
    for name in ("method", "reference"):
        if name in fields:
            setattr(payment, name, fields[name])
    if errors:
        raise Invalid(errors, codes=codes)
    _full_clean(payment)
    payment.save()
    audit.record(
        "payment.update",
        payment,
        by=by,
        firm_id=payment.firm_id,
        at=at,
        details=audit.changes(before, audit.values(payment, fields)),
    )
    return payment
