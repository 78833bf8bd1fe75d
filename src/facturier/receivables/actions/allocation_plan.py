"""The client's money (a payment's remainder or a credit note's credit left) and how it
is spent on invoices: which invoice gets how much (`plan`), writing it (`apply`), and
taking an allocation back (`undo`).

Each allocation moves an invoice's balance through `invoicing.actions.move_balance`
(which writes the invoice's event and closes or reopens it). Locks are taken in one
order everywhere: the money first (the payment or the credit note), then its
invoices by ascending id, so two people paying the same invoice or spending the
same credit wait for each other and the second one sees what the first one left.
"""

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.core.converters import row_id
from facturier.core.errors import Invalid
from facturier.core.formatting import for_reader
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice

from .. import events, rules
from ..history import InvoiceHistory
from ..models import Allocation, Payment
from .common import amount_in

# An invoice wanted, and the amount asked for it (None: a share of what is left).
Wanted = list[tuple[int, Decimal | None]]


class ClientMoney:
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
    money: ClientMoney,
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
    wanted = _open_invoices(money) if requested is None else _requested(money, requested)
    locked = invoicing.lock_invoices([pk for pk, _ in wanted], by=by, firm_id=money.firm_id)
    _check_invoices(money, wanted, locked, listed=requested is not None)
    given = sum((amount for _, amount in wanted if amount is not None), Decimal(0))
    if given > money.remaining:
        raise Invalid(
            {
                "allocations": [
                    _("The allocations (%(total)s) exceed what is left to allocate (%(left)s).")
                    % {
                        "total": for_reader(money.currency).money(given),
                        "left": for_reader(money.currency).money(money.remaining),
                    }
                ]
            },
            codes={"allocations": ["exceeds_payment"]},
        )
    planned = [(locked[pk], amount) for pk, amount in wanted if amount is not None]
    shared = [locked[pk] for pk, amount in wanted if amount is None]
    return planned + _shares(shared, money.remaining - given)


def _open_invoices(money: ClientMoney) -> Wanted:
    """Every invoice of the client in the money's currency with a balance left."""
    ids = Invoice.objects.filter(
        client_id=money.client_id,
        currency=money.currency,
        kind="invoice",
        balance__gt=0,
    ).values_list("pk", flat=True)
    return [(pk, None) for pk in ids]


def _requested(money: ClientMoney, requested: Sequence[Mapping[str, Any]]) -> Wanted:
    """The invoices and amounts asked for, or Invalid naming each item refused."""
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    wanted: Wanted = []
    for index, item in enumerate(requested):
        key = f"allocations.{index}"
        pk = row_id(item.get("invoice")) if isinstance(item, Mapping) else None
        if pk is None:
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
    return wanted


def _check_invoices(
    money: ClientMoney, wanted: Wanted, locked: Mapping[int, Invoice], *, listed: bool
) -> None:
    """Refuse an invoice the money cannot pay, or an amount over its balance."""
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    for index, (pk, amount) in enumerate(wanted):
        key = f"allocations.{index}" if listed else "allocations"
        refused = _refusal(money, locked[pk], amount, listed=listed)
        if refused is not None:
            field, message, code = refused
            errors[f"{key}.{field}"] = [message]
            codes[f"{key}.{field}"] = [code]
    if errors:
        raise Invalid(errors, codes=codes)


def _refusal(
    money: ClientMoney, invoice: Invoice, amount: Decimal | None, *, listed: bool
) -> tuple[str, str, str] | None:
    """Why the money cannot pay `amount` of the invoice: (field, message, code)."""
    if invoice.client_id != money.client_id:
        message = _("Invoice %(invoice)s is not this client's.")
        return "invoice", message % {"invoice": invoice}, "other_client"
    reason = rules.state_refusal("pay", invoice, today=timezone.localdate())
    # Spread over the open invoices, one another payment settled meanwhile is passed over.
    if reason is not None and (listed or reason is not rules.PAID):
        return "invoice", reason.says(invoice), reason.code
    if invoice.currency != money.currency:
        message = _("Invoice %(invoice)s is in %(invoice_currency)s, the payment in %(currency)s.")
        values = {
            "invoice": invoice,
            "invoice_currency": invoice.currency,
            "currency": money.currency,
        }
        return "invoice", message % values, "currency_mismatch"
    if amount is not None and amount > invoice.balance:
        message = _("Invoice %(invoice)s has %(balance)s left to pay.")
        return (
            "amount",
            message % {"invoice": invoice, "balance": invoice.balance},
            "exceeds_balance",
        )
    return None


def _shares(invoices: list[Invoice], left: Decimal) -> list[tuple[Invoice, Decimal]]:
    """What is left, to the invoices with a balance, oldest due date first, each paid in
    full before the next."""
    oldest_first = sorted(
        (invoice for invoice in invoices if invoice.balance > 0),
        key=lambda i: (i.due_date or i.issue_date, i.issue_date, i.pk),
    )
    shares = []
    for invoice in oldest_first:
        if left <= 0:
            break
        share = min(left, invoice.balance)
        shares.append((invoice, share))
        left -= share
    return shares


def apply(money_: ClientMoney, planned, *, by, at: datetime.datetime, on: datetime.date) -> None:
    """Write the planned allocations: each invoice owes less, the money has less."""
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


def undo(allocation: Allocation, money_: ClientMoney, invoice: Invoice | None, *, by, at) -> None:
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
