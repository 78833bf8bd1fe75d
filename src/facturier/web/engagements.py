"""The Engagements tab: the list, an engagement's page, its form, and the billing run."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from facturier.clients.permissions import visible_clients
from facturier.core.errors import DomainError, Invalid, NotFound
from facturier.engagements import actions
from facturier.engagements import selectors as engagement_selectors
from facturier.engagements.letter_models import LetterStatus
from facturier.engagements.models import BillingMode
from facturier.engagements.permissions import (
    get_visible,
    manageable_client_ids,
    may_manage,
    run_refusal,
)
from facturier.firms.models import User
from facturier.work.selectors import work_codes

from .budgets import engagement_budget_context
from .common import refusal_text, refuse, section
from .engagement_forms import MISSION_ROWS, EndForm, EngagementForm, MissionForm, RunForm
from .engagement_letters import letter_context
from .fields import as_typed
from .once import once

PAGE_SIZE = 25


@login_required
def engagement_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    letter_status = request.GET.get("letter_status", "")
    listed = engagement_selectors.engagement_list(
        user=request.user, status=status, letter_status=letter_status
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "billing/engagements.html",
        section(
            "billing",
            "engagements",
            engagements=_with_mission_counts(list(page.object_list)),
            page=page,
            query=query.urlencode(),
            status=status,
            letter_status=letter_status,
            letter_statuses=LetterStatus.choices,
            run_form=RunForm(initial={"as_of": timezone.localdate()}),
            may_create=bool(manageable_client_ids(request.user)),
            may_run=run_refusal(request.user) is None,
        ),
    )


def _with_mission_counts(engagements: list) -> list:
    counts = engagement_selectors.mission_counts(engagements)
    for engagement in engagements:
        engagement.mission_count = counts.get(engagement.pk, 0)
    return engagements


def _engagement(request: HttpRequest, pk: int):
    try:
        return get_visible(request.user, pk)
    except NotFound:
        raise Http404(_("No such engagement.")) from None


@login_required
def engagement_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return engagement_page(request, _engagement(request, pk))


def engagement_page(
    request: HttpRequest,
    engagement,
    *,
    end_form: EndForm | None = None,
    budget_form=None,
    signed_form=None,
) -> HttpResponse:
    """The engagement's page. A form of it that was refused comes back in it (422): its
    errors beside its fields, what was typed kept."""
    coming, index_missing = engagement_selectors.preview(engagement)
    coming = engagement_selectors.with_deposit(engagement, coming)
    manage = may_manage(request.user, engagement)
    refused = any(form is not None for form in (end_form, budget_form, signed_form))
    return render(
        request,
        "billing/engagement_detail.html",
        section(
            "billing",
            "engagements",
            engagement=engagement,
            missions=list(engagement.missions.select_related("work_code")),
            coming=coming,
            index_missing=index_missing,
            revisions=list(engagement.revisions.select_related("announced_on")),
            billed=list(engagement_selectors.billed_periods(engagement)),
            currency=engagement.client.currency,
            may_manage=manage,
            end_form=end_form or EndForm(initial={"end_date": engagement.end_date}),
            failure=engagement_selectors.run_failure(engagement),
            deposit_to_draft=_deposit_to_draft(engagement),
            deposit_value=actions.deposit_value(engagement),
            **letter_context(request, engagement, may_manage=manage, signed_form=signed_form),
            **engagement_budget_context(request, engagement, form=budget_form),
        ),
        status=422 if refused else 200,
    )


def _deposit_to_draft(engagement) -> bool:
    """The letter is signed but the deposit it asks could not be drafted then."""
    asks = engagement.deposit_amount is not None or engagement.deposit_percent is not None
    return (
        asks
        and engagement.deposit_invoice_id is None
        and engagement.letters.filter(status=LetterStatus.SIGNED).exists()
    )


def _choices(request: HttpRequest, form: EngagementForm, missions: list[MissionForm]) -> None:
    user = request.user
    clients = visible_clients(user).filter(pk__in=manageable_client_ids(user)).order_by("sort_name")
    form.fields["client"].choices = [("", "—")] + [(c.pk, c.name) for c in clients]
    staff = User.objects.filter(firm_id=user.firm_id, is_active=True).order_by("username")
    form.fields["responsible"].choices = [(u.pk, str(u)) for u in staff]
    codes = [("", "—")] + [(c.pk, f"{c.code} – {c.name}") for c in work_codes(firm_id=user.firm_id)]
    for mission in missions:
        mission.fields["work_code"].choices = codes


def _mission_forms(request: HttpRequest, initial: list[dict]) -> list[MissionForm]:
    data = request.POST if request.method == "POST" else None
    rows = max(MISSION_ROWS, len(initial) + 1)
    return [
        MissionForm(
            data,
            prefix=f"mission-{index}",
            initial=initial[index] if index < len(initial) else None,
        )
        for index in range(rows)
    ]


def _mission_values(missions: list[MissionForm]) -> tuple[list[dict], list[MissionForm]] | None:
    """The missions filled in, and their forms (for the errors); None if one is invalid."""
    if not all([mission.is_valid() for mission in missions]):
        return None
    values, forms = [], []
    for mission in missions:
        data = dict(mission.cleaned_data)
        if not data["name"] and not data["id"]:
            continue
        if not data["id"]:
            data.pop("id")
        values.append(data)
        forms.append(mission)
    return values, forms


def _show_errors(exc: Invalid, form: EngagementForm, missions: list[MissionForm]) -> None:
    for key, errors in exc.errors.items():
        target, name = form, key
        if key == "missions" and missions:  # none given: said beside the first one's name
            target, name = missions[0], "name"
        elif key.startswith("missions."):
            _, index, name = (key.split(".", 2) + [""])[:3]
            if index.isdigit() and int(index) < len(missions):
                target = missions[int(index)]
        for error in errors:
            target.add_error(name if name in target.fields else None, error)


def _initial(engagement) -> tuple[dict, list[dict]]:
    fields = {name: getattr(engagement, name) for name in actions.ENGAGEMENT_FIELDS}
    fields.update(client=engagement.client_id, responsible=engagement.responsible_id)
    missions = []
    for mission in engagement.missions.prefetch_related("instalments"):
        values = {name: getattr(mission, name) for name in actions.MISSION_FIELDS}
        values.update(id=mission.pk, work_code=mission.work_code_id)
        values["instalments"] = "\n".join(
            f"{row.date:%d/%m/%Y} {as_typed(row.amount, places=2)}"
            for row in mission.instalments.all()
        )
        missions.append(values)
    return fields, missions


def _save(request: HttpRequest, engagement, form: EngagementForm, missions: list[MissionForm]):
    """The engagement created or amended from valid forms, or None with the errors shown."""
    found = _mission_values(missions)
    if found is None:
        return None
    values, filled = found
    fields = dict(form.cleaned_data)
    client = fields.pop("client")
    try:
        if engagement is None:
            return actions.create_engagement(
                client, by=request.user, fields=fields, missions=values
            )
        return actions.amend_engagement(engagement, by=request.user, fields=fields, missions=values)
    except Invalid as exc:
        _show_errors(exc, form, filled or missions[:1])
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def engagement_form_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    engagement = None if pk is None else _engagement(request, pk)
    if engagement is not None and not may_manage(request.user, engagement):
        raise Http404(_("No such engagement."))
    initial, mission_initial = _initial(engagement) if engagement else ({}, [])
    data = request.POST if request.method == "POST" else None
    form = EngagementForm(data, initial=initial or {"responsible": request.user.pk})
    missions = _mission_forms(request, mission_initial)
    _choices(request, form, missions)
    if engagement is not None:
        form.fields["client"].disabled = True
    saved = _save(request, engagement, form, missions) if data and form.is_valid() else None
    if saved is not None:
        messages.success(request, _("Engagement %(reference)s saved.") % {"reference": saved})
        return redirect(reverse("billing:engagement", args=[saved.pk]))
    return render(
        request,
        "billing/engagement_form.html",
        section("billing", "engagements", form=form, missions=missions, engagement=engagement),
        status=422 if data else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_view(request: HttpRequest) -> HttpResponse:
    """The billing run: what was made today, what failed and why, what comes next; and
    the button that bills the periods due by a day (a date refused comes back beside
    its field, as typed)."""
    today = timezone.localdate()
    form = RunForm(request.POST if request.method == "POST" else None, initial={"as_of": today})
    if form.is_bound and form.is_valid():
        if _run(request, as_of=form.cleaned_data["as_of"], form=form):
            return redirect(reverse("billing:engagements_run"))
    return render(
        request,
        "billing/engagement_run.html",
        section(
            "billing",
            "engagements",
            overview=engagement_selectors.run_overview(user=request.user, day=today),
            today=today,
            run_form=form,
            may_run=run_refusal(request.user) is None,
            manageable=manageable_client_ids(request.user),
            billing_modes=BillingMode,
        ),
        status=422 if form.is_bound else 200,
    )


def _run(request: HttpRequest, *, as_of, engagement=None, form: RunForm | None = None) -> bool:
    """Whether the run was made. A refusal of the date goes beside it in `form`; any
    other (the right to run) to the page's messages."""
    try:
        result = actions.bill_due_periods(
            request.user.firm_id, by=request.user, as_of=as_of, engagement=engagement
        )
    except DomainError as exc:
        if form is not None and getattr(exc, "errors", None):
            refuse(form, exc)
        else:
            messages.error(request, refusal_text(exc))
        return False
    messages.success(
        request,
        _("Invoices made: %(invoices)s; periods billed: %(periods)s.")
        % {"invoices": len(result.invoices), "periods": result.periods},
    )
    for failed, reason in result.failures:
        messages.warning(request, f"{failed.reference}: {reason}")
    return True


@login_required
@require_POST
def retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Bill one engagement again (a failure of the run, once its cause is fixed)."""
    engagement = _engagement(request, pk)
    # What failed is the engagement's next billing day (a run ahead of today's may
    # have failed on it): billed through that day, not only through today.
    day = max(timezone.localdate(), engagement.next_bill_date or datetime.date.min)
    _run(request, as_of=day, engagement=engagement)
    return redirect(reverse("billing:engagements_run"))


@login_required
@require_POST
def pause_view(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement(request, pk)
    try:
        actions.pause_billing(engagement, by=request.user)
        messages.success(request, _("Billing paused: no invoice is made until it resumes."))
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    return redirect(reverse("billing:engagement", args=[engagement.pk]))


@login_required
@require_POST
def resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement(request, pk)
    try:
        skipped = actions.resume_billing(
            engagement, by=request.user, catch_up=request.POST.get("catch_up") == "1"
        )
        messages.success(
            request,
            ngettext(
                "Billing resumed; %(count)s period due while paused is skipped.",
                "Billing resumed; %(count)s periods due while paused are skipped.",
                skipped,
            )
            % {"count": skipped},
        )
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    return redirect(reverse("billing:engagement", args=[engagement.pk]))


@login_required
@require_POST
def end_view(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement(request, pk)
    form = EndForm(request.POST)
    if not form.is_valid():
        return engagement_page(request, engagement, end_form=form)
    try:
        actions.end_engagement(engagement, by=request.user, end_date=form.cleaned_data["end_date"])
    except DomainError as exc:
        refuse(form, exc)
        # Read again: a refused action may have changed the instance it was given.
        return engagement_page(request, _engagement(request, pk), end_form=form)
    messages.success(request, _("Engagement %(reference)s ended.") % {"reference": engagement})
    drafts = engagement_selectors.drafts_past_end(_engagement(request, pk))
    if drafts:
        messages.warning(
            request,
            ngettext(
                "The draft %(drafts)s bills a period beyond the end date: delete it if it is "
                "no longer owed, and the next run bills what is due, the last period prorated.",
                "The drafts %(drafts)s bill periods beyond the end date: delete them if they "
                "are no longer owed, and the next run bills what is due, the last period "
                "prorated.",
                len(drafts),
            )
            % {"drafts": ", ".join(f"#{draft.pk}" for draft in drafts)},
        )
    return redirect(reverse("billing:engagement", args=[engagement.pk]))


@login_required
@require_POST
@once
def deposit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The engagement's deposit invoice drafted; its page opens."""
    engagement = _engagement(request, pk)
    try:
        invoice = actions.draft_engagement_deposit(engagement, by=request.user)
    except Invalid as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
        return redirect("billing:engagement", pk=pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing:engagement", pk=pk)
    messages.success(request, _("Deposit invoice drafted: check it, then finalize it to issue it."))
    return redirect("billing:invoice", pk=invoice.pk)
