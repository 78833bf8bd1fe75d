"""The aging of receivables in the Billing app: as of any day, per client, with the
invoices behind each figure, and as CSV for the accountant."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from facturier.clients.permissions import visible_clients
from facturier.receivables.aging import BUCKETS, aging, aging_csv, owed_on

from .common import section
from .exports import aging_xlsx
from .fields import DayField, IdField


class AgingForm(forms.Form):
    day = DayField(
        label=gettext_lazy("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    client = IdField(required=False, widget=forms.HiddenInput)


EARLIEST = datetime.date(1900, 1, 1)


def _day(form: AgingForm) -> datetime.date:
    today = timezone.localdate()
    day = form.cleaned_data.get("day") if form.is_valid() else None
    if not day:
        return today
    # The future is not known yet; before 1900 nothing was invoiced here (and the
    # buckets' limits would fall before the first day a date can hold).
    return max(min(day, today), EARLIEST)


@login_required
@require_GET
def aging_view(request: HttpRequest) -> HttpResponse:
    form = AgingForm(request.GET or None)
    day = _day(form)
    client_id = form.cleaned_data.get("client") if form.is_valid() else None
    if request.GET.get("format") == "csv":
        return _csv(request, day)
    if request.GET.get("format") == "xlsx":
        return aging_xlsx(aging(user=request.user, day=day))
    result = aging(user=request.user, day=day)
    client = None
    invoices = []
    if client_id is not None:
        client = visible_clients(request.user).filter(pk=client_id).first()
        if client is not None:
            invoices = list(
                owed_on(user=request.user, day=day, client_id=client.pk).order_by("due_date", "pk")
            )
    return render(
        request,
        "billing/aging.html",
        section(
            "billing",
            "aging",
            form=form,
            day=day,
            result=result,
            labels=[label for label, _first, _last in BUCKETS],
            client=client,
            invoices=[(invoice, BUCKETS[invoice.bucket][0]) for invoice in invoices],
        ),
    )


def _csv(request, day: datetime.date) -> HttpResponse:
    response = HttpResponse(
        aging_csv(aging(user=request.user, day=day), language=translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="aging-{day.isoformat()}.csv"'
    return response
