"""Credit notes (avoirs): the one lawful way to correct an issued invoice.

A credit note is drafted from a finalized or closed invoice (all of it, some lines
and quantities, or an amount per VAT rate), then follows the invoice's lifecycle:
finalized with a number of its own series, content frozen, e-mailed. Finalizing
applies it to the invoice's balance (see `apply_on_finalize`); whatever the invoice
no longer owed is the client's credit.
"""

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from facturier.core import clock, reading
from facturier.core.actions import action
from facturier.core.errors import Invalid, InvalidTransition
from facturier.core.formatting import Formatter
from facturier.firms.models import User

from .. import permissions
from ..crediting import left_to_credit
from ..lifecycle import Action, InvoiceStatus
from ..models import DocumentKind, Invoice
from .audit import lock_invoice, record_event, require
from .invoices import _save_draft

FULLY_CREDITED = _("Invoice %(invoice)s is fully credited already.")
PARTLY_CREDITED = _(
    "Invoice %(invoice)s is partly credited already: credit some lines or an amount."
)


def _number(value, field: str, errors: dict, codes: dict) -> Decimal | None:
    number = value if isinstance(value, Decimal) else reading.decimal(value)
    if number is None or not number.is_finite() or number <= 0 or number > 10**9:
        errors[field] = [_("Enter a number greater than zero.")]
        codes[field] = ["invalid"]
        return None
    return number


def _whole(invoice: Invoice, lines) -> list[dict[str, Any]]:
    return [_copy(line, line.quantity) for line in lines]


def _copy(line, quantity: Decimal) -> dict[str, Any]:
    return {
        "description": line.description,
        "quantity": quantity,
        "unit_price": line.unit_price,
        "vat_rate": line.vat_rate,
        "discount_percent": line.discount_percent,
    }


def _by_lines(lines, requested: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    chosen = []
    seen = set()
    for index, item in enumerate(requested):
        key = f"lines.{index}"
        position = item.get("line") if isinstance(item, Mapping) else None
        if (
            not isinstance(position, int)
            or isinstance(position, bool)
            or not 0 <= position < len(lines)
            or position in seen
        ):
            errors[f"{key}.line"] = [_("Choose a line of the invoice.")]
            codes[f"{key}.line"] = ["invalid"]
            continue
        seen.add(position)
        original = lines[position]
        raw = item.get("quantity")
        quantity = (
            original.quantity
            if raw in (None, "")
            else _number(raw, f"{key}.quantity", errors, codes)
        )
        if quantity is None:
            continue
        if quantity > original.quantity:
            errors[f"{key}.quantity"] = [
                _("At most %(quantity)s, as invoiced.")
                % {"quantity": Formatter(get_language() or "en", "EUR").number(original.quantity)}
            ]
            codes[f"{key}.quantity"] = ["exceeds_invoice"]
            continue
        chosen.append(_copy(original, quantity))
    if errors:
        raise Invalid(errors, codes=codes)
    if not chosen:
        raise Invalid({"lines": [_("Choose at least one line.")]}, codes={"lines": ["required"]})
    return chosen


def _by_amounts(invoice: Invoice, lines, amounts: Sequence[Mapping[str, Any]]) -> list[dict]:
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    rates = {line.vat_rate for line in lines}
    chosen = []
    fmt = Formatter(invoice.client.language, invoice.currency)
    with translation.override(invoice.client.language):
        for index, item in enumerate(amounts):
            key = f"amounts.{index}"
            raw = item.get("vat_rate") if isinstance(item, Mapping) else None
            try:
                rate = Decimal(str(raw).strip())
            except (InvalidOperation, ValueError):
                rate = None
            if rate is None or not rate.is_finite() or rate not in rates:
                errors[f"{key}.vat_rate"] = [_("Choose one of the invoice's VAT rates.")]
                codes[f"{key}.vat_rate"] = ["invalid"]
                continue
            amount = _number(item.get("amount"), f"{key}.amount", errors, codes)
            if amount is None:
                continue
            chosen.append(
                {
                    "description": gettext("Credit on invoice %(number)s, VAT %(rate)s")
                    % {"number": invoice.number, "rate": fmt.percent(rate)},
                    "quantity": Decimal(1),
                    "unit_price": amount,
                    "vat_rate": rate,
                    "discount_percent": Decimal(0),
                }
            )
    if errors:
        raise Invalid(errors, codes=codes)
    if not chosen:
        raise Invalid(
            {"amounts": [_("Give an amount for at least one VAT rate.")]},
            codes={"amounts": ["required"]},
        )
    return chosen


def _draft_of(invoice: Invoice, *, by, at, notes, returns_entries) -> Invoice:
    """A credit note's draft for `invoice`, not saved yet."""
    credit_note = Invoice(
        firm_id=invoice.firm_id,
        kind=DocumentKind.CREDIT_NOTE,
        corrects=invoice,
        client=invoice.client,
        currency=invoice.currency,
        # Its VAT in euros is the invoice's, converted at the invoice's rate.
        exchange_rate=invoice.exchange_rate,
        issue_date=timezone.localdate(at),
        due_date=timezone.localdate(at),
        payment_terms_days=0,
        notes=notes if isinstance(notes, str) else "",
        template=invoice.template,
        created_by=by,
        returns_entries=bool(returns_entries) and invoice.entry_links.exists(),
    )
    credit_note.firm = invoice.firm
    return credit_note


@action
def create_credit_note(
    invoice: Invoice | int,
    *,
    by: User,
    lines: Sequence[Mapping[str, Any]] | None = None,
    amounts: Sequence[Mapping[str, Any]] | None = None,
    notes: str = "",
    returns_entries: bool = False,
    now: datetime.datetime | None = None,
) -> Invoice:
    """Draft a credit note for an issued invoice. `returns_entries`: once finalized, the
    time and expenses the invoice billed go back to work in progress.

    Neither `lines` nor `amounts`: all of it. `lines`: [{"line": position in the
    invoice (from 0), "quantity": optional, at most as invoiced}]. `amounts`:
    [{"vat_rate": one of the invoice's rates, "amount": net amount}]. Never more
    than what is left to credit on the invoice.
    """
    invoice = lock_invoice(invoice, by=by)
    require(permissions.refusal("credit", by, invoice))
    left = left_to_credit(invoice)
    if left <= 0:
        raise InvalidTransition(FULLY_CREDITED, invoice=str(invoice))
    originals = list(invoice.lines.all())
    if amounts is not None:
        content = _by_amounts(invoice, originals, amounts)
    elif lines is not None:
        content = _by_lines(originals, lines)
    else:
        if left < invoice.total_gross:
            raise InvalidTransition(PARTLY_CREDITED, invoice=str(invoice))
        content = _whole(invoice, originals)
    at = clock.now(now)
    credit_note = _draft_of(invoice, by=by, at=at, notes=notes, returns_entries=returns_entries)
    # Lines credited as invoiced bear the invoice's discount as they did; an amount per
    # rate is a net amount already.
    credit_note.discount_percent = invoice.discount_percent if amounts is None else Decimal(0)
    _save_draft(credit_note, content)
    record_event(
        credit_note,
        Action.CREATE,
        by=by,
        to_status=InvoiceStatus.DRAFT,
        at=at,
        details={"corrects": invoice.number},
    )
    return credit_note
