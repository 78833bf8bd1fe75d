"""The engagement form: the engagement's terms and its missions (rows mission-N-*),
in the language of the page (1 200,50 and 15/01/2027 in French)."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from facturier.core import reading
from facturier.engagements.models import (
    BillingMode,
    FeeKind,
    Frequency,
    Indexation,
    PaymentMethod,
    Timing,
)

from .fields import AmountField, DayField, IdField

MISSION_ROWS = 3
DATE_WIDGET = forms.DateInput(attrs={"inputmode": "numeric", "placeholder": _("DD/MM/YYYY")})


def day_field(**kwargs) -> DayField:
    return DayField(widget=DATE_WIDGET, localize=True, **kwargs)


class EngagementForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=40)
    client = forms.TypedChoiceField(label=_("Client"), coerce=int)
    responsible = forms.TypedChoiceField(label=_("Responsible staff member"), coerce=int)
    start_date = day_field(label=_("Start date"))
    end_date = day_field(label=_("End date"), required=False)
    tacit_renewal = forms.BooleanField(label=_("Tacit renewal"), required=False)
    notice_months = forms.IntegerField(
        label=_("Notice period (months)"), min_value=0, max_value=24, initial=3
    )
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"),
        min_value=0,
        max_value=365,
        required=False,
        help_text=_("Empty: the client's or the firm's default."),
    )
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    billing_mode = forms.ChoiceField(
        label=_("Invoices made by the run"),
        choices=BillingMode.choices,
        initial=BillingMode.DRAFT,
        required=False,  # a form posted without it leaves invoices as drafts
    )
    indexation = forms.ChoiceField(label=_("Indexation"), choices=Indexation.choices)
    indexation_percent = AmountField(
        label=_("Yearly revision (%)"),
        required=False,
        localize=True,
        max_digits=5,
        decimal_places=2,
        min_value=-50,
        max_value=100,
    )
    index_name = forms.CharField(label=_("Index"), max_length=40, required=False)
    deposit_amount = AmountField(
        label=_("Deposit at signature (excl. VAT)"),
        required=False,
        localize=True,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    deposit_percent = AmountField(
        label=_("or a percentage of the first year's fixed fees"),
        required=False,
        localize=True,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=100,
    )
    revision_day = forms.IntegerField(
        label=_("Revision day"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=_("Empty: the engagement's anniversary."),
    )
    revision_month = forms.IntegerField(
        label=_("Revision month"), min_value=1, max_value=12, required=False
    )

    def clean_billing_mode(self) -> str:
        return self.cleaned_data["billing_mode"] or BillingMode.DRAFT


class MissionForm(forms.Form):
    id = IdField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Mission"), max_length=120, required=False)
    work_code = forms.TypedChoiceField(
        label=_("Kind (work code)"), coerce=int, required=False, empty_value=None
    )
    fee_kind = forms.ChoiceField(label=_("Fee arrangement"), choices=FeeKind.choices)
    annual_fee = AmountField(
        label=_("Annual fee"), required=False, localize=True, max_digits=14, decimal_places=2
    )
    vat_rate = AmountField(
        label=_("VAT rate (%)"),
        localize=True,
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=Decimal(20),
    )
    time_cap = AmountField(
        label=_("Cap per period"), required=False, localize=True, max_digits=14, decimal_places=2
    )
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    timing = forms.ChoiceField(label=_("Billed"), choices=Timing.choices)
    billing_day = forms.IntegerField(label=_("Billing day"), min_value=1, max_value=31, initial=1)
    instalments = forms.CharField(
        label=_("Instalments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: the date and the amount, e.g. 31/03/2027 1500"),
    )

    def clean_instalments(self) -> list[dict]:
        rows = []
        for number, line in enumerate(self.cleaned_data["instalments"].splitlines(), 1):
            if not line.strip():
                continue
            rows.append(_instalment(line, number))
        return rows


def _instalment(line: str, number: int) -> dict:
    parts = line.split(None, 1)
    error = ValidationError(
        _("Line %(number)s: give a date and an amount."), code="invalid", params={"number": number}
    )
    if len(parts) != 2:
        raise error
    day = None
    for pattern in formats.get_format("DATE_INPUT_FORMATS"):
        try:
            day = datetime.datetime.strptime(parts[0], pattern).date()
            break
        except ValueError:
            continue
    amount = reading.decimal(parts[1])
    if day is None or amount is None:
        raise error
    return {"date": day, "amount": amount}


class RunForm(forms.Form):
    as_of = day_field(label=_("Bill the periods due by"))


class EndForm(forms.Form):
    end_date = day_field(label=_("End date"))
