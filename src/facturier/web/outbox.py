"""The outbox in the web UI: what holds each queue (with the server's words), the failed
deliveries of every kind, and Retry, for one or all (outbox.retrying)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from facturier.clients.permissions import can_process
from facturier.core.errors import DomainError, NotAllowed, NotFound
from facturier.outbox import retrying

from .common import back_url, section
from .once import once


@login_required
@require_GET
def outbox_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "billing/outbox.html",
        section(
            "billing",
            "outbox",
            states=retrying.queue_states(request.user),
            failed=retrying.failed(request.user),
            can_retry=can_process(request.user),
        ),
    )


def _refused(exc: DomainError) -> None:
    """Who may not see the delivery gets a 404, who may not retry it a 403."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message)


@login_required
@require_POST
@once
def retry_view(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Retry one failed delivery, then back to the page it was asked from."""
    back = back_url(request, reverse("billing:outbox"))
    try:
        retrying.retry_delivery(by=request.user, kind=kind, delivery=pk)
    except DomainError as exc:
        _refused(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Queued again: it will be tried in a moment."))
    return redirect(back)


@login_required
@require_POST
@once
def retry_all_view(request: HttpRequest) -> HttpResponse:
    """Retry every failed delivery the user may retry, of one kind (kind=) or all."""
    back = back_url(request, reverse("billing:outbox"))
    try:
        counts = retrying.retry_failed_deliveries(
            by=request.user, kind=request.POST.get("kind") or None
        )
    except DomainError as exc:
        _refused(exc)
        messages.error(request, exc.message)
        return redirect(back)
    count = sum(counts.values())
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d failed delivery queued again.",
                "%(count)d failed deliveries queued again.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("No failed delivery to retry."))
    return redirect(back)
