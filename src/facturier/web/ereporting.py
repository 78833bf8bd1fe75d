"""The E-reporting tab of Billing: each period's report of sales to private persons and
of money received on services, where it stands with the platform, its file, and the
correction a person may ask for."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from facturier.clients.permissions import can_process
from facturier.core.errors import DomainError
from facturier.einvoicing import ereporting
from facturier.einvoicing.models import EReport, Platform
from facturier.firms.permissions import can_manage_settings

from .common import section


@login_required
@require_GET
def ereporting_view(request: HttpRequest) -> HttpResponse:
    platform = Platform.objects.select_related("firm").filter(firm_id=request.user.firm_id).first()
    allowed = can_process(request.user)
    ready = platform is not None and platform.reports_from is not None
    kinds = ereporting.overview(platform, today=timezone.localdate()) if allowed and ready else {}
    since = min((rows[-1]["start"] for rows in kinds.values() if rows), default=None)
    return render(
        request,
        "billing/ereporting.html",
        section(
            "billing",
            tab="ereporting",
            allowed=allowed,
            platform=platform,
            ready=ready,
            missing=_missing(platform) if ready else "",
            kinds=kinds,
            abroad=ereporting.abroad(platform, since) if since else [],
            may_correct=can_manage_settings(request.user),
            labels=dict(EReport.Kind.choices),
        ),
        status=200 if allowed else 403,
    )


def _missing(platform: Platform) -> str:
    try:
        ereporting.declarant(platform)
    except DomainError as exc:
        return exc.message
    return ""


def _report(request: HttpRequest, pk: int) -> EReport:
    report = EReport.objects.filter(pk=pk, firm_id=request.user.firm_id).first()
    if report is None or not can_process(request.user):
        raise Http404
    return report


@login_required
@require_GET
def ereport_file(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    response = HttpResponse(bytes(report.content), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{report.tracking_id}.xml"'
    return response


@login_required
@require_POST
def ereport_correct(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Say why the period is reported again."))
        return redirect("billing:ereporting")
    try:
        corrected = ereporting.correct_report(report, by=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Correction %(version)s queued: it goes to the platform in a moment.")
            % {"version": corrected.version},
        )
    return redirect("billing:ereporting")


@login_required
@require_POST
def ereport_retry(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    try:
        ereporting.retry_report(report, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Queued again: it goes to the platform in a moment."))
    return redirect("billing:ereporting")
