import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)


class DayField(forms.DateField):
    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationError(_("Enter a date between 1900 and 2199."), code="out_of_range")
        return day


class PeriodForm(forms.Form):
    start = DayField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = DayField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    currency = forms.CharField(max_length=3, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ValidationError(
                {"end": _("The period must end on or after its first day.")}, code="invalid_period"
            )
        if start and end and (end - start).days > 3660:
            raise ValidationError(
                {"start": _("At most ten years at a time.")}, code="period_too_long"
            )
        return data


class AcceptForm(forms.Form):
    signer_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    accepted = forms.BooleanField(
        label=_("I have read the mandate and I accept it."), required=False
    )
    document_sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)


class LetterAcceptForm(AcceptForm):
    accepted = forms.BooleanField(
        label=_("I have read the engagement letter and I accept it."), required=False
    )
