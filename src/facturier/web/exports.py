"""Exports for the accountant in the Billing app: the documents and the payments of a
period as CSV, the FEC of a fiscal year; the aging as XLSX. Streamed: a firm's
100,000 invoices leave in flat memory."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from facturier.core import spreadsheet
from facturier.invoicing.permissions import visible_invoices
from facturier.receivables import exports, fec
from facturier.receivables.aging import Aging, aging_workbook
from facturier.receivables.permissions import payment_refusal, visible_payments

from .common import section
from .fields import DayField

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KINDS = [
    ("documents", gettext_lazy("Invoices and credit notes (CSV)")),
    ("payments", gettext_lazy("Payments (CSV)")),
]


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(choices=KINDS)
    start = DayField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = DayField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The period must end on or after its first day."))
        return data


class FecForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("Fiscal year ending in"), min_value=2000, max_value=2100
    )


def _stream(lines, filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def exports_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if "kind" in request.GET:
        form = PeriodForm(request.GET)
        if form.is_valid():
            return _period_export(request, **form.cleaned_data)
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("billing:exports")
    if "year" in request.GET:
        return _fec(request)
    ledger = fec.ledger_for(request.user.firm_id) if request.user.firm_id else None
    year = today.year
    fiscal = fec.fiscal_year(ledger, year) if ledger else None
    may_fec = payment_refusal(request.user) is None
    return render(
        request,
        "billing/exports.html",
        section(
            "billing",
            "exports",
            period_form=PeriodForm(
                initial={"start": today.replace(month=1, day=1), "end": today, "kind": "documents"}
            ),
            kinds=KINDS,
            fec_form=FecForm(initial={"year": year}),
            may_fec=may_fec,
            fiscal_year=fiscal,
            notice=fec.notice(request.user.firm_id, *fiscal) if fiscal and may_fec else None,
        ),
    )


def _period_export(request, *, kind: str, start: datetime.date, end: datetime.date):
    if kind == "payments":
        rows = exports.payment_rows(visible_payments(request.user), start, end)
    else:
        rows = exports.document_rows(visible_invoices(request.user), start, end)
    # A byte-order mark: spreadsheets then read the accents right.
    # Split as the reader's spreadsheet splits it (semicolons and 1234,50 in French).
    dialect = spreadsheet.csv_dialect(translation.get_language())
    lines = _with_bom(exports.csv_lines(rows, **dialect))
    return _stream(lines, f"{kind}-{start}-{end}.csv", "text/csv; charset=utf-8")


def _with_bom(lines):
    yield "\ufeff"
    yield from lines


def _fec(request):
    """The FEC covers the whole firm: it needs the processing permission."""
    refusal = payment_refusal(request.user)
    if refusal is not None:
        messages.error(request, refusal.message)
        return redirect("billing:exports")
    form = FecForm(request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("billing:exports")
    firm = request.user.firm
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), form.cleaned_data["year"])
    response = _stream(
        fec.fec_bytes(firm.pk, start, end), fec.fec_filename(firm, end), fec.CONTENT_TYPE
    )
    for name, value in fec.notice(firm.pk, start, end).headers().items():
        response[name] = value
    return response


def aging_xlsx(result: Aging) -> HttpResponse:
    """The aging as a workbook: numbers as numbers, one row per client and currency."""
    response = HttpResponse(aging_workbook(result), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="aging-{result.day.isoformat()}.xlsx"'
    return response
