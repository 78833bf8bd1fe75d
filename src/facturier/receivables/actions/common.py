"""What the receivables actions share: checking amounts and dates, the client's money
(a payment's remainder or a credit note's credit left), and spending it on invoices.

Each allocation moves an invoice's balance through `invoicing.actions.move_balance`
(which writes the invoice's event and closes or reopens it). Locks are taken in one
order everywhere: the money first (the payment or the credit note), then its
invoices by ascending id, so two people paying the same invoice or spending the
same credit wait for each other and the second one sees what the first one left.
"""

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client
from facturier.clients.permissions import visible_clients
from facturier.core import money
from facturier.core.errors import Invalid, NotFound
from facturier.invoicing import actions as invoicing
from facturier.invoicing.lifecycle import Status
from facturier.invoicing.models import Invoice, Kind
from facturier.invoicing.permissions import visible_invoices

from .. import events
from ..history import InvoiceHistory
from ..models import Allocation, Payment
from ..permissions import payment_refusal, visible_payments

NO_SUCH_CLIENT = _("No such client.")
NO_SUCH_PAYMENT = _("No such payment.")
NO_SUCH_CREDIT_NOTE = _("No such credit note.")
NO_SUCH_ALLOCATION = _("No such allocation.")
# 12 digits before the point: what the amount columns hold.
LARGEST = Decimal("999999999999.99")


def require_right(by) -> None:
    refusal = payment_refusal(by)
    if refusal is not None:
        raise refusal


def amount_in(value, currency: str, field: str, errors: dict, codes: dict) -> Decimal | None:
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


def day_in(value, field: str, errors: dict, codes: dict, *, today: datetime.date):
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


class Money:
    """The client's money that allocations spend: what a payment has not allocated, or
    what a finalized credit note left once its own invoice was settled."""

    def __init__(self, source: Payment | Invoice) -> None:
        self.source = source
        self.is_payment = isinstance(source, Payment)
        self.firm_id = source.firm_id
        self.client_id = source.client_id
        self.currency = source.currency

    @property
    def remaining(self) -> Decimal:
        return self.source.unallocated if self.is_payment else self.source.credit_left

    @remaining.setter
    def remaining(self, value: Decimal) -> None:
        if self.is_payment:
            self.source.unallocated = value
        else:
            self.source.credit_left = value

    def save(self) -> None:
        self.source.save(update_fields=["unallocated" if self.is_payment else "credit_left"])

    def origin(self) -> dict[str, Any]:
        return {"payment": self.source} if self.is_payment else {"credit_note": self.source}

    def details(self, allocation: Allocation) -> dict[str, Any]:
        """What the invoice's history says about the money that paid it."""
        common = {
            "amount": str(allocation.amount),
            "currency": self.currency,
            "allocation": allocation.pk,
        }
        if not self.is_payment:
            return {**common, "method": "credit_note", "credit_note": self.source.number}
        return {
            **common,
            "payment": self.source.pk,
            "method": self.source.method,
            "received_on": self.source.received_on.isoformat(),
            "reference": self.source.reference,
        }


def plan(
    money: Money,
    requested: Sequence[Mapping[str, Any]] | None,
    *,
    by,
) -> list[tuple[Invoice, Decimal]]:
    """Which invoice gets how much of the money's remainder.

    `requested`: None spreads the remainder over all the client's open invoices; else
    a list of {"invoice": id, "amount": optional}. Amounts given are taken as given;
    the listed invoices without one share what is left, oldest due date first. What
    nothing takes stays with the money as the client's credit.
    """
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    if requested is None:
        ids = list(
            Invoice.objects.filter(
                client_id=money.client_id,
                currency=money.currency,
                kind="invoice",
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
                amount = amount_in(raw, money.currency, f"{key}.amount", errors, codes)
                if amount is None:
                    continue
            wanted.append((pk, amount))
        if len({pk for pk, _ in wanted}) != len(wanted):
            errors["allocations"] = [_("An invoice is listed twice.")]
            codes["allocations"] = ["duplicate"]
    if errors:
        raise Invalid(errors, codes=codes)

    locked = invoicing.lock_invoices([pk for pk, _ in wanted], by=by, firm_id=money.firm_id)
    for index, (pk, amount) in enumerate(wanted):
        invoice = locked[pk]
        key = f"allocations.{index}" if requested is not None else "allocations"
        if invoice.kind != Kind.INVOICE:
            errors[f"{key}.invoice"] = [
                _("%(document)s is a credit note: only invoices are paid.") % {"document": invoice}
            ]
            codes[f"{key}.invoice"] = ["not_an_invoice"]
        elif invoice.client_id != money.client_id:
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
        elif invoice.currency != money.currency:
            errors[f"{key}.invoice"] = [
                _("Invoice %(invoice)s is in %(invoice_currency)s, the payment in %(currency)s.")
                % {
                    "invoice": invoice,
                    "invoice_currency": invoice.currency,
                    "currency": money.currency,
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
    if given > money.remaining:
        raise Invalid(
            {
                "allocations": [
                    _("The allocations (%(total)s) exceed what is left to allocate (%(left)s).")
                    % {"total": given, "left": money.remaining}
                ]
            },
            codes={"allocations": ["exceeds_payment"]},
        )
    plan = [(locked[pk], amount) for pk, amount in wanted if amount is not None]
    left = money.remaining - given
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


def apply(money_: Money, planned, *, by, at: datetime.datetime, on: datetime.date) -> None:
    for invoice, amount in planned:
        allocation = Allocation.objects.create(
            firm_id=money_.firm_id,
            invoice=invoice,
            amount=amount,
            on=on,
            created_by=by,
            created_at=at,
            **money_.origin(),
        )
        events.allocation_made(allocation=allocation, currency=money_.currency, by=by, at=at)
        invoicing.move_balance(
            invoice,
            -amount,
            by=by,
            at=at,
            event=InvoiceHistory.PAYMENT,
            details=money_.details(allocation),
        )
        money_.remaining -= amount
    if planned:
        money_.save()


def undo(allocation: Allocation, money_: Money, invoice: Invoice | None, *, by, at) -> None:
    """Take an allocation back: the invoice owes it again, the money has it again."""
    events.allocation_removed(allocation=allocation, by=by, at=at)
    if invoice is not None:
        invoicing.move_balance(
            invoice,
            allocation.amount,
            by=by,
            at=at,
            event=InvoiceHistory.PAYMENT_REMOVED,
            details=money_.details(allocation),
        )
    money_.remaining += allocation.amount
    allocation.delete()


def valid_pk(value) -> int | None:
    """A database id from an object or an int; None for anything else (bool, str...)."""
    pk = getattr(value, "pk", value)
    if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk < 2**63:
        return pk
    return None


def visible_client(by, client: Client | int) -> Client:
    found = None
    if (pk := valid_pk(client)) is not None:
        found = visible_clients(by).filter(pk=pk).only("firm_id", "name", "currency").first()
    if found is None:
        raise NotFound(NO_SUCH_CLIENT)
    return found


def lock_payment(by, payment: Payment | int) -> Payment:
    found = None
    if (pk := valid_pk(payment)) is not None:
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


def lock_credit_note(by, credit_note: Invoice | int) -> Invoice:
    found = None
    if (pk := valid_pk(credit_note)) is not None:
        found = (
            visible_invoices(by)
            .select_for_update(of=("self",))
            .select_related("client")
            .filter(pk=pk, kind=Kind.CREDIT_NOTE)
            .exclude(status=Status.DRAFT)
            .first()
        )
    if found is None:
        raise NotFound(NO_SUCH_CREDIT_NOTE)
    return found
