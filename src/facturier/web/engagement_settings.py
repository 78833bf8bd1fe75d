"""Settings → Indices: the index values engagements' fees are revised by."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core.errors import DomainError, Invalid
from facturier.engagements import actions
from facturier.engagements.selectors import index_values

from .common import refusal_text
from .engagement_forms import AmountField, day_field


class IndexValueForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Index"), max_length=40)
    date = day_field(label=gettext_lazy("Date"))
    value = AmountField(label=gettext_lazy("Value"), max_digits=12, decimal_places=4, min_value=0)


def index_settings(request: HttpRequest) -> HttpResponse:
    form = IndexValueForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        try:
            if form.is_valid():
                data = form.cleaned_data
                actions.save_index_value(
                    data["name"], by=request.user, date=data["date"], value=data["value"]
                )
                messages.success(request, _("Index value saved."))
                return redirect("settings:indices")
        except Invalid as exc:
            for key, errors in exc.errors.items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
    return render(
        request,
        "settings/indices.html",
        {
            "section": "settings",
            "tab": "indices",
            "form": form,
            "values": index_values(firm_id=request.user.firm_id),
        },
        status=status,
    )
