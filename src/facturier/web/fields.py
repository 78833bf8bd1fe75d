"""The form fields every page takes ids and dates with: bounded where the database and
date arithmetic are, so no value a browser can send reaches them out of range."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from facturier.core import reading
from facturier.core.converters import row_id

# The dates any page takes. Outside them, date arithmetic (a period's next day, a due
# date) overflows, and nothing this firm invoices lies there.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)


class IdField(forms.IntegerField):
    """An object id: ASCII digits a 64-bit key holds (core.converters.row_id)."""

    default_error_messages = {"invalid": _("Choose one of the list.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        pk = row_id(str(value).strip())
        if pk is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return pk


class AmountField(forms.DecimalField):
    """A number as typed in either language: 1 200,50, 1200.5 (core.reading)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = reading.decimal(str(value))
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


def typed_amount(typed: str) -> str | None:
    """An amount typed outside a form (beside an invoice, a refund): 1 000,50 in French
    as 1000.50; what is not a number goes to the action as typed, for it to refuse."""
    typed = typed.strip()
    if not typed:
        return None
    number = reading.decimal(typed)
    return format(number, "f") if number is not None else typed


class DayField(forms.DateField):
    """A date between 1900 and 2199."""

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationError(_("Enter a date between 1900 and 2199."), code="out_of_range")
        return day


def as_typed(value, *, places: int | None = None) -> str:
    """A number put back in a field as a person of the active language types it: 3,25
    and 42,30 in French, 3.25 in English; never 2E+1, never a thousands separator (what
    core.reading reads back). `places`: keep that many decimals (money), else as few as
    the value needs."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    number = number.quantize(Decimal(1).scaleb(-places)) if places is not None else number
    text = format(number if places is not None else number.normalize(), "f")
    return text.replace(".", formats.get_format("DECIMAL_SEPARATOR"))
