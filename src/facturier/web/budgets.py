"""Budgets against actuals: the engagement page's part (engagements/_budget.html), the
report of every mission one may see, and Settings → Budget alerts. The chart is drawn
on the server as the overview's are (pygal, SVG in the page)."""

import pygal
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from facturier.core import fiscal
from facturier.core.converters import row_id
from facturier.core.errors import DomainError, Invalid, NotFound
from facturier.engagements import actions
from facturier.engagements import selectors as engagement_selectors
from facturier.engagements.permissions import get_visible

from .common import refusal_text, refuse, section
from .engagement_forms import AmountField
from .overview import _chart, _svg
from .templatetags.billing import number


class BudgetForm(forms.Form):
    mission = forms.TypedChoiceField(label=gettext_lazy("Mission"), coerce=int)
    year = forms.IntegerField(label=gettext_lazy("Fiscal year"), min_value=1901, max_value=2199)
    hours = AmountField(label=gettext_lazy("Budgeted hours"), max_digits=9, decimal_places=2)
    fees = AmountField(label=gettext_lazy("Budgeted fees"), max_digits=14, decimal_places=2)


class ThresholdsForm(forms.Form):
    first = forms.IntegerField(label=gettext_lazy("First alert (%)"), min_value=1, max_value=999)
    second = forms.IntegerField(label=gettext_lazy("Second alert (%)"), min_value=1, max_value=999)


def _year(request: HttpRequest):
    year = row_id(request.GET.get("year", ""))
    year = year if year is not None and 1900 < year < 2200 else None
    return engagement_selectors.budget_year(request.user.firm_id, year)


def budget_chart(lines, nonce: str, name: str) -> str:
    """Used of the budget per mission, in percent: hours and standard value."""
    budgeted = [line for line in lines if line.budget is not None]
    if not budgeted:
        return ""
    chart = _chart(
        pygal.HorizontalBar,
        title=_("Budget used (%)"),
        labels=[line.mission.name for line in budgeted],
        formatter=lambda value: f"{number(value)} %",
    )
    chart.add(_("Hours"), [float(line.hours_percent or 0) for line in budgeted])
    chart.add(_("Standard value"), [float(line.value_percent or 0) for line in budgeted])
    return _svg(chart, name, nonce)


def engagement_budget_context(request: HttpRequest, engagement, *, form=None) -> dict:
    """What engagements/_budget.html shows on the engagement's page (`form`: the budget
    form refused, with what was typed)."""
    year = _shown_year(request, engagement)
    lines = engagement_selectors.engagement_budgets(engagement, year)
    form = form or BudgetForm(initial={"year": year.year})
    form.fields["mission"].choices = [(line.mission.pk, line.mission.name) for line in lines]
    return {
        "budget_year": year,
        "budget_lines": lines,
        "budgets": list(engagement_selectors.mission_budgets(engagement)),
        "budget_form": form,
        "budget_svg": budget_chart(lines, str(request.csp_nonce), "budget"),
    }


def _shown_year(request: HttpRequest, engagement):
    """The year asked for; else today's, unless the engagement lies wholly outside it:
    then its nearest (an engagement starting next year shows next year, which a budget
    can be added to)."""
    if row_id(request.GET.get("year", "")) is not None:
        return _year(request)
    firm_id = request.user.firm_id
    year = engagement_selectors.budget_year(firm_id)
    if engagement.start_date > year.end:
        return fiscal.year_of(firm_id, engagement.start_date)
    if engagement.end_date is not None and engagement.end_date < year.start:
        return fiscal.year_of(firm_id, engagement.end_date)
    return year


def _engagement(request: HttpRequest, pk: int):
    try:
        return get_visible(request.user, pk)
    except NotFound:
        raise Http404(_("No such engagement.")) from None


@login_required
@require_POST
def budget_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement(request, pk)
    form = BudgetForm(request.POST)
    form.fields["mission"].choices = [(m.pk, m.name) for m in engagement.missions.all()]
    if not form.is_valid():
        return _refused(request, engagement, form)
    data = form.cleaned_data
    try:
        budget = actions.add_budget(
            data["mission"],
            by=request.user,
            year=data["year"],
            hours=data["hours"],
            fees=data["fees"],
        )
    except DomainError as exc:
        refuse(form, exc)
        return _refused(request, engagement, form)
    messages.success(
        request,
        _("Budget %(year)s of %(mission)s saved.")
        % {"year": budget.year, "mission": budget.mission.name},
    )
    target = reverse("billing:engagement", args=[engagement.pk])
    return redirect(f"{target}?year={budget.year}#budget")


def _refused(request: HttpRequest, engagement, form: BudgetForm) -> HttpResponse:
    # Imported here: the engagement's page imports this module for its budget part.
    from .engagements import engagement_page

    return engagement_page(request, engagement, budget_form=form)


@login_required
@require_POST
def budget_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    engagement_id = request.POST.get("engagement", "")
    try:
        actions.remove_budget(pk, by=request.user)
        messages.success(request, _("Budget removed."))
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    engagement_id = row_id(engagement_id)
    if engagement_id is None:
        return redirect(reverse("billing:budgets"))
    return redirect(reverse("billing:engagement", args=[engagement_id]) + "#budget")


@login_required
@require_GET
def budget_report_view(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    lines = engagement_selectors.budget_report(user=request.user, year=year)
    return render(
        request,
        "billing/budgets.html",
        section(
            "billing",
            "engagements",
            year=year,
            lines=lines,
            years=range(year.year - 2, year.year + 2),
            budget_svg=budget_chart(lines, str(request.csp_nonce), "budgets"),
        ),
    )


def budget_alert_settings(request: HttpRequest) -> HttpResponse:
    levels = engagement_selectors.thresholds(request.user.firm_id)
    form = ThresholdsForm(
        request.POST or None, initial={"first": levels.first, "second": levels.second}
    )
    status = 200
    if request.method == "POST":
        status = 422
        try:
            if form.is_valid():
                actions.set_budget_thresholds(by=request.user, **form.cleaned_data)
                messages.success(request, _("Budget alert thresholds saved."))
                return redirect("settings:budget_alerts")
        except Invalid as exc:
            for key, errors in exc.errors.items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
    return render(
        request,
        "settings/budget_alerts.html",
        {"section": "settings", "tab": "budget_alerts", "form": form},
        status=status,
    )
