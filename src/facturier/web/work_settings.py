"""Settings → Work codes and rates: the firm's codes (one at a time or a CSV file) and
its staff's hourly rates with the day each starts (future, active, historical)."""

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from facturier.core.errors import DomainError, Invalid
from facturier.firms.models import User
from facturier.work import actions
from facturier.work.models import EntryKind
from facturier.work.rates import rate_state
from facturier.work.selectors import staff_rates, work_codes

from .common import refusal_text
from .fields import AmountField, DayField, IdField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkCodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=EntryKind.choices)
    billable = forms.BooleanField(label=gettext_lazy("Billable"), required=False, initial=True)
    default_rate = AmountField(
        label=gettext_lazy("Default rate"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )
    surcharge_percent = AmountField(
        label=gettext_lazy("Surcharge (%)"),
        required=False,
        min_value=0,
        max_value=1000,
        max_digits=5,
        decimal_places=2,
    )


class RateForm(forms.Form):
    staff = IdField(label=gettext_lazy("Staff member"))
    work_code = IdField(label=gettext_lazy("Work code"), required=False)
    rate = AmountField(
        label=gettext_lazy("Hourly rate"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )
    effective_from = DayField(label=gettext_lazy("Effective from"), widget=DATE)


def _add_errors(form, exc: Invalid) -> None:
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@require_http_methods(["GET", "POST"])
def work_settings(request: HttpRequest) -> HttpResponse:
    from .settings import _context

    firm_id = request.user.firm_id
    action = request.POST.get("form", "")
    code_form = WorkCodeForm(request.POST if action == "code" else None, prefix="code")
    rate_form = RateForm(request.POST if action == "rate" else None, prefix="rate")
    status = 200
    if request.method == "POST":
        try:
            if _save(request, action, code_form=code_form, rate_form=rate_form):
                return redirect("settings:work")
        except Invalid as exc:
            if action == "rate":
                _add_errors(rate_form, exc)
            elif action == "code":
                _add_errors(code_form, exc)
            else:
                messages.error(request, refusal_text(exc))
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
        status = 422
    return render(
        request,
        "settings/work.html",
        _context(
            tab="work",
            codes=list(work_codes(firm_id=firm_id)),
            code_form=code_form,
            rate_form=rate_form,
            rates=_rate_rows(firm_id),
            staff=list(User.objects.filter(firm_id=firm_id).order_by("username")),
        ),
        status=status,
    )


def _save(request, action: str, *, code_form, rate_form) -> bool:
    """Save what the posted form asks (a work code, an import, a rate); False if its
    form is not valid."""
    if action == "code" and code_form.is_valid():
        data = dict(code_form.cleaned_data)
        data["surcharge_percent"] = data.get("surcharge_percent") or 0
        actions.save_work_code(by=request.user, fields=data)
        messages.success(request, _("Work code saved."))
        return True
    if action == "import":
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid({"file": [_("Choose a file.")]}, codes={"file": ["required"]})
        saved = actions.import_work_codes(upload.read(2 * 2**20), by=request.user)
        messages.success(request, _("%(count)d work codes imported.") % {"count": len(saved)})
        return True
    if action == "rate" and rate_form.is_valid():
        data = rate_form.cleaned_data
        actions.set_rate(
            by=request.user,
            staff=data["staff"],
            work_code=data["work_code"],
            rate=data["rate"],
            effective_from=data["effective_from"],
        )
        messages.success(request, _("Rate saved."))
        return True
    return False


def _rate_rows(firm_id: int) -> list[tuple]:
    """Each staff rate with its state today (historical, active, future)."""
    today = timezone.localdate()
    rates = list(
        staff_rates(firm_id=firm_id).order_by(
            "staff__username", "work_code__code", "effective_from"
        )
    )
    starts = defaultdict(list)
    for rate in rates:
        starts[rate.staff_id, rate.work_code_id].append(rate.effective_from)
    rows = []
    for rate in rates:
        later = [
            day for day in starts[rate.staff_id, rate.work_code_id] if day > rate.effective_from
        ]
        rows.append((rate, rate_state(rate, min(later) if later else None, today)))
    return rows
