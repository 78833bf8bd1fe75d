"""Personal data in the browser: a contact's (from its client's page) or a member's
(Settings → Staff; one's own from Settings → Security) exported as a JSON file, and
erased where the law allows; the firm's retention period (Settings → Security)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.clients.models import Contact
from facturier.core.errors import DomainError, NotAllowed, NotFound
from facturier.firms import actions as firm_actions
from facturier.privacy import actions as privacy
from facturier.privacy.errors import WHAT_STAYS


def _download(data: dict, name: str) -> HttpResponse:
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _refused(exc: DomainError):
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from None
    raise PermissionDenied(exc.message) from None


def _contact_client(pk: int) -> int:
    client_id = Contact.objects.filter(pk=pk).values_list("client_id", flat=True).first()
    if client_id is None:
        raise Http404(_("No such contact."))
    return client_id


@login_required
@require_POST
def contact_export(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        data = privacy.export_contact_data(pk, by=request.user)
    except (NotAllowed, NotFound) as exc:
        _refused(exc)
    return _download(data, f"personal-data-contact-{pk}.json")


@login_required
@require_POST
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        privacy.erase_contact(pk, by=request.user, reason=request.POST.get("reason", ""))
    except (NotAllowed, NotFound) as exc:
        _refused(exc)
    except DomainError as exc:
        messages.error(request, " ".join([exc.message, *_field_messages(exc)]))
    else:
        messages.success(request, _("The contact's personal data was erased.") + " " + WHAT_STAYS)
    return redirect("billing:client_account", pk=_contact_client(pk))


def _field_messages(exc: DomainError) -> list[str]:
    return [m for msgs in getattr(exc, "errors", {}).values() for m in msgs]


@login_required
@require_POST
def member_export(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        data = privacy.export_member_data(pk, by=request.user)
    except (NotAllowed, NotFound) as exc:
        _refused(exc)
    return _download(data, f"personal-data-staff-{pk}.json")


@login_required
@require_POST
def member_erase(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        privacy.erase_member(pk, by=request.user, reason=request.POST.get("reason", ""))
    except (NotAllowed, NotFound) as exc:
        _refused(exc)
    except DomainError as exc:
        messages.error(request, " ".join([exc.message, *_field_messages(exc)]))
        return redirect("settings:staff_member", pk=pk)
    messages.success(request, _("The member's personal data was erased.") + " " + WHAT_STAYS)
    return redirect("settings:staff")


@login_required
@require_POST
def retention(request: HttpRequest) -> HttpResponse:
    """The firm's retention period of former contacts' and staff's data (settings right)."""
    try:
        firm_actions.update_firm_settings(
            request.user.firm_id or 0,
            by=request.user,
            fields={"personal_data_retention_years": request.POST.get("years", "")},
        )
    except NotAllowed as exc:
        _refused(exc)
    except DomainError as exc:
        messages.error(request, " ".join([exc.message, *_field_messages(exc)]))
    else:
        messages.success(request, _("Retention period saved."))
    return redirect("settings:security")
