"""What the receivables actions share: the right they need, amounts and dates read
from input, and the client, payment or credit note they act on, found and locked."""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client
from facturier.clients.permissions import visible_clients
from facturier.core import money
from facturier.core.converters import row_id
from facturier.core.errors import NotFound
from facturier.core.formatting import for_reader
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice
from facturier.invoicing.permissions import visible_invoices

from ..models import Payment
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
    earliest = earliest_day(today)
    if not earliest <= value <= today:
        errors[field] = [
            _("Enter a date from %(earliest)s to today: money is recorded when received.")
            % {"earliest": for_reader().date(earliest)}
        ]
        codes[field] = ["future" if value > today else "too_old"]
        return None
    return value


def earliest_day(today: datetime.date) -> datetime.date:
    """The oldest date money may be recorded on: 1 January ten years back (the time
    accounting records are kept); before that, a date is a typing slip."""
    return datetime.date(today.year - 10, 1, 1)


def visible_client(by, client: Client | int) -> Client:
    found = None
    if (pk := row_id(client)) is not None:
        found = visible_clients(by).filter(pk=pk).only("firm_id", "name", "currency").first()
    if found is None:
        raise NotFound(NO_SUCH_CLIENT)
    return found


def lock_payment(by, payment: Payment | int) -> Payment:
    found = None
    if (pk := row_id(payment)) is not None:
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
    if (pk := row_id(credit_note)) is not None:
        found = (
            visible_invoices(by)
            .select_for_update(of=("self",))
            .select_related("client")
            .filter(pk=pk, kind=DocumentKind.CREDIT_NOTE)
            .exclude(status=InvoiceStatus.DRAFT)
            .first()
        )
    if found is None:
        raise NotFound(NO_SUCH_CREDIT_NOTE)
    return found
