"""The client portal from the firm's side: on the client's page, invite a contact (a
sign-in link by e-mail) or revoke their access."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.core.converters import row_id
from facturier.core.errors import DomainError
from facturier.portal import actions as portal
from facturier.portal.models import PortalAccess

from .clients import _client


@login_required
@require_POST
def portal_invite(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    contact = row_id(request.POST.get("contact", ""))
    try:
        access = portal.invite_contact(
            client.pk,
            by=request.user,
            contact=contact or 0,
            site=request.build_absolute_uri("/"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s is invited to the client portal: a sign-in link is on its way.")
            % {"name": access.contact.name},
        )
    return redirect("billing:client_account", pk=pk)


@login_required
@require_POST
def portal_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    contact = row_id(request.POST.get("contact", ""))
    access = PortalAccess.objects.filter(contact_id=contact, contact__client=client).first()
    try:
        if access is None:
            raise DomainError(_("This contact has no access to the portal."))
        portal.revoke_access(access.pk, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s no longer has access to the client portal.")
            % {"name": access.contact.name},
        )
    return redirect("billing:client_account", pk=pk)
