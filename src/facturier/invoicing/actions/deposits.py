"""Deposit invoices (factures d'acompte) and their deduction.

A deposit invoice asks for part of the fees before the work is billed: an invoice of
its own kind (type code 386 in CII and UBL), numbered with the other invoices, paid
like any. The invoice that bills the work deducts each deposit that was paid as a
paid amount at document level (EN 16931 BT-113, never a negative line) and names it
(BG-3): its total stays the whole fee, and what the client owes is the total less
the deposits (BT-115), which is its balance once finalized.

A deposit counts as paid when nothing is left to pay on it and no credit note
cancelled it: its balance is invoicing's own, moved by the payments' actions.
"""

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from facturier.clients.models import Client
from facturier.core import clock, reading
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter
from facturier.firms.models import User

from .. import permissions
from ..lifecycle import Action
from ..models import DocumentKind, Invoice
from .audit import lock_invoice, record_event, require
from .deductions import (
    _refuse,
    attach_deposits,
    check_deductible,
    check_fits,
    deducted_deposits,
    deposits_to_deduct,
)
from .invoices import create_draft
from .wip import _client, _money

CENT = Decimal("0.01")


def deposit_amount(*, amount=None, percent=None, fees=None) -> Decimal:
    """The deposit's amount before VAT: `amount` as typed, or `percent` of `fees` (the
    first year's fees); never more than the fees, never zero. Not both."""
    if percent not in (None, "") and amount not in (None, ""):
        raise _refuse(
            "percent", "amount_and_percent", _("Enter an amount or a percentage, not both.")
        )
    fees = _fees(fees)
    if percent not in (None, ""):
        rate = reading.decimal(percent)
        if rate is None or not Decimal(0) < rate <= Decimal(100):
            raise _refuse("percent", "invalid", _("Enter a percentage between 0 and 100."))
        if not fees:
            raise _refuse("percent", "no_fees", _("There are no fees to take a percentage of."))
        return (fees * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount in (None, ""):
        raise _refuse("amount", "required", _("Enter the deposit's amount or a percentage."))
    value = _money(amount, "amount")
    if value <= 0:
        raise _refuse("amount", "not_positive", _("A deposit asks for more than zero."))
    if fees and value > fees:
        raise _refuse("amount", "exceeds_fees", _("The deposit is larger than the fees."))
    return value


def _fees(fees) -> Decimal | None:
    """The fees as typed (decimal comma or point), None when not given; more than zero."""
    if fees in (None, ""):
        return None
    value = fees if isinstance(fees, Decimal) else reading.decimal(fees)
    if value is None:
        raise _refuse("fees", "invalid", _("Enter the fees as a number."))
    if value <= 0:
        raise _refuse("fees", "not_positive", _("The fees are more than zero."))
    return value


def _vat_rate(typed) -> Decimal:
    """The VAT rate as typed (5,5 or 5.5), a percentage."""
    rate = typed if isinstance(typed, Decimal) else reading.decimal(typed)
    if rate is None:
        example = Formatter(translation.get_language() or "en", "EUR").number(Decimal("5.5"))
        raise _refuse(
            "vat_rate",
            "invalid",
            _("Enter the VAT rate as a number, such as 20 or %(example)s.") % {"example": example},
        )
    if not Decimal(0) <= rate <= Decimal(100):
        raise _refuse("vat_rate", "out_of_range", _("A VAT rate is between 0 and 100."))
    return rate


# The deposit's one line is made of the action's arguments: its refusals name them.
LINE_TO_FIELD = {
    "lines.0.vat_rate": "vat_rate",
    "lines.0.unit_price": "amount",
    "lines.0.description": "description",
}


def _as_deposit_fields(exc: Invalid) -> Invalid:
    """The line's refusals under the fields the deposit was asked with."""
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    for key, messages in exc.errors.items():
        field = LINE_TO_FIELD.get(key, "lines" if key.startswith("lines") else key)
        errors.setdefault(field, []).extend(messages)
        codes.setdefault(field, []).extend(exc.codes[key])
    return Invalid(errors, codes=codes)


@action
def draft_deposit(
    *,
    by: User,
    client: Client | int | None,
    amount=None,
    percent=None,
    fees=None,
    currency: str = "",
    vat_rate=None,
    description: str = "",
    payment_terms_days: int | None = None,
    now: datetime.datetime | None = None,
) -> Invoice:
    """A draft deposit invoice for a client: `amount` before VAT, or `percent` of
    `fees`. `currency`, when given, must be the client's (a deposit is deducted from
    the client's invoices, in their currency). `payment_terms_days`: the client's (or
    the firm's) when not given."""
    if not client:
        raise _refuse("client", "required", _("Choose a client."))
    found = _client(by, client)
    if currency and currency.upper() != found.currency:
        raise _refuse(
            "currency",
            "currency_mismatch",
            _("The client is invoiced in %(currency)s.") % {"currency": found.currency},
        )
    value = deposit_amount(amount=amount, percent=percent, fees=fees)
    if len(description or "") > 1000:
        raise _refuse("description", "max_length", _("At most 1000 characters."))
    vat = found.firm.default_vat_rate if vat_rate in (None, "") else _vat_rate(vat_rate)
    with translation.override(found.language):
        text = (description or "").strip() or _("Deposit on fees")
    line = {"description": text, "quantity": "1", "unit_price": str(value), "vat_rate": str(vat)}
    try:
        terms = {} if payment_terms_days is None else {"payment_terms_days": payment_terms_days}
        invoice = create_draft(by=by, client=found, lines=[line], now=now, **terms)
    except Invalid as exc:
        raise _as_deposit_fields(exc) from exc
    Invoice.objects.filter(pk=invoice.pk).update(deposit=True)
    invoice.deposit = True
    invoice._loaded["deposit"] = True
    record_event(invoice, Action.DEPOSIT, by=by, at=clock.now(now), details={"amount": str(value)})
    return invoice


@action
def deduct_deposits(
    invoice: Invoice | int,
    *,
    by: User,
    deposits: Sequence[int] | None = None,
    now: datetime.datetime | None = None,
) -> list[Invoice]:
    """Make the draft deduct these deposit invoices of its client (those it deducts and
    all those paid and not deducted yet, when none are named), never more than its
    total. Returns the deposits it deducts."""
    invoice = _deducting(invoice, by)
    before = deducted_deposits(invoice)
    if deposits is None:
        chosen = before + deposits_to_deduct(invoice.client_id)
    else:
        chosen = _named(invoice, deposits)
    check_fits(chosen, invoice)
    attach_deposits(invoice, chosen)
    if {d.pk for d in chosen} != {d.pk for d in before}:  # nothing changed: nothing to say
        record_event(
            invoice,
            Action.DEDUCT_DEPOSITS,
            by=by,
            at=clock.now(now),
            details={"deposits": [d.number for d in chosen]},
        )
    return chosen


@action
def release_deposits(
    invoice: Invoice | int, *, by: User, now: datetime.datetime | None = None
) -> list[Invoice]:
    """The draft no longer deducts any deposit: each is free for another invoice to
    deduct. Returns the deposits it deducted."""
    invoice = _deducting(invoice, by)
    released = deducted_deposits(invoice)
    attach_deposits(invoice, [])
    if released:
        record_event(
            invoice,
            Action.RELEASE_DEPOSITS,
            by=by,
            at=clock.now(now),
            details={"deposits": [d.number for d in released]},
        )
    return released


def _deducting(invoice: Invoice | int, by: User) -> Invoice:
    """The draft, locked, if the user may edit it and it is an invoice (which alone
    deducts deposits)."""
    invoice = lock_invoice(invoice, by=by)
    require(permissions.refusal("edit", by, invoice))
    if invoice.deposit or invoice.kind != DocumentKind.INVOICE:
        raise _refuse("invoice", "not_deducting", _("Only an invoice deducts deposits."))
    return invoice


def _named(invoice: Invoice, ids: Sequence[int]) -> list[Invoice]:
    """The deposits named, each checked: the same client and currency, paid, free."""
    wanted = sorted({row_id(pk) or 0 for pk in ids})
    found = {
        d.pk: d
        for d in Invoice.objects.select_for_update(of=("self",)).filter(
            pk__in=wanted, firm_id=invoice.firm_id, deposit=True
        )
    }
    chosen = []
    for pk in wanted:
        deposit = found.get(pk)
        if deposit is None or deposit.client_id != invoice.client_id:
            raise _refuse("deposits", "not_found", _("No such deposit invoice for this client."))
        check_deductible(deposit, invoice)
        chosen.append(deposit)
    return chosen
