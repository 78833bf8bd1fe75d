"""Settings → Staff: the firm's members, their rights and clients, invitations; and the
page where an invitee accepts (signed out)."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.access import actions as access_actions
from facturier.access.models import Invitation
from facturier.access.staff import RIGHTS, members, rights_of
from facturier.clients import actions as client_actions
from facturier.clients.models import Client
from facturier.core.actions import unit_of_work
from facturier.core.errors import DomainError, Invalid, NotFound
from facturier.privacy.errors import WHAT_STAYS

from .common import refusal_text, section
from .settings import manager_only
from .staff_forms import AcceptForm, InviteForm, MemberForm


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _add_errors(form, exc: Invalid, rename: dict[str, str] | None = None) -> None:
    for field, errors in exc.errors.items():
        field = (rename or {}).get(field, field)
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _list_context(request: HttpRequest, form: InviteForm) -> dict:
    firm_id = request.user.firm_id
    people = list(members(firm_id).prefetch_related("user_permissions__content_type"))
    for person in people:
        held = rights_of(person)
        person.right_labels = [RIGHTS[name] for name in RIGHTS if name in held]
    now = timezone.now()
    invitations = [
        invitation
        for invitation in Invitation.objects.filter(
            firm_id=firm_id, accepted_at__isnull=True, revoked_at__isnull=True
        ).select_related("invited_by")
    ]
    for invitation in invitations:
        invitation.expired = not invitation.is_pending(now)
        invitation.right_labels = [RIGHTS[n] for n in invitation.permissions if n in RIGHTS]
    return section("settings", "staff", form=form, people=people, invitations=invitations)


@manager_only
def staff(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = access_actions.invite_member(
                    by=request.user,
                    email=form.cleaned_data["email"],
                    rights=form.cleaned_data["rights"],
                    site=_site(request),
                    language=translation.get_language() or "fr",
                )
            except Invalid as exc:
                _add_errors(form, exc)
            except DomainError as exc:
                form.add_error("email", exc.message)
                status = exc.status
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
                return redirect("settings:staff")
        status = status if status != 200 else 422
    return render(request, "settings/staff.html", _list_context(request, form), status=status)


@manager_only
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        invitation = access_actions.resend_invitation(
            pk,
            by=request.user,
            site=_site(request),
            language=translation.get_language() or "fr",
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request, _("Invitation sent again to %(email)s.") % {"email": invitation.email}
        )
    return redirect("settings:staff")


@manager_only
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        invitation = access_actions.revoke_invitation(pk, by=request.user)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    return redirect("settings:staff")


def _member_or_404(request: HttpRequest, pk: int):
    member = members(request.user.firm_id).filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


@manager_only
def member(request: HttpRequest, pk: int) -> HttpResponse:
    person = _member_or_404(request, pk)
    clients = Client.objects.filter(firm_id=request.user.firm_id).order_by("sort_name")
    held = rights_of(person)
    initial = {
        "rights": [name for name, how in held.items() if how == "direct"],
        "clients": list(clients.filter(owners=person).values_list("pk", flat=True)),
    }
    form = MemberForm(
        request.POST or None, initial=initial, clients=clients.values_list("pk", "name")
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                with unit_of_work():  # the rights and the clients, or neither
                    access_actions.set_member_rights(
                        person, by=request.user, rights=form.cleaned_data["rights"]
                    )
                    client_actions.set_owned_clients(
                        person, by=request.user, client_ids=form.cleaned_data["clients"]
                    )
            except Invalid as exc:
                _add_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("%(name)s saved.") % {"name": person})
                return redirect("settings:staff")
    by_role = [RIGHTS[name] for name, how in held.items() if how == "role"]
    return render(
        request,
        "settings/staff_member.html",
        section(
            "settings",
            "staff",
            person=person,
            form=form,
            by_role=by_role,
            what_stays=WHAT_STAYS,
            has_two_factors=access_actions.has_second_factor(person),
        ),
        status=status,
    )


def _switch(request: HttpRequest, pk: int, change, done: str) -> HttpResponse:
    person = _member_or_404(request, pk)
    try:
        change(person, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("settings:staff_member", pk=person.pk)
    messages.success(request, done % {"name": person})
    return redirect("settings:staff")


@manager_only
@require_POST
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch(
        request,
        pk,
        access_actions.deactivate_member,
        _("%(name)s deactivated: signed out, API tokens revoked."),
    )


@manager_only
@require_POST
def member_reset_two_factors(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch(
        request,
        pk,
        access_actions.reset_two_factors,
        _("%(name)s's authenticator app and recovery codes were removed."),
    )


@manager_only
@require_POST
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch(request, pk, access_actions.reactivate_member, _("%(name)s may sign in again."))


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Signed out: the invitee chooses their name and password, and is signed in."""
    try:
        invitation = access_actions.invitation_for(token)
    except DomainError as exc:
        return render(
            request,
            "registration/invitation_invalid.html",
            {"reason": exc.message, "code": exc.code},
            status=exc.status,
        )
    form = AcceptForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                user = access_actions.accept_invitation(
                    token,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
            except Invalid as exc:
                _add_errors(form, exc, rename={"password": "password1"})
            except DomainError as exc:
                return render(
                    request,
                    "registration/invitation_invalid.html",
                    {"reason": exc.message, "code": exc.code},
                    status=exc.status,
                )
            else:
                login(request, user)
                messages.success(request, _("Welcome to %(firm)s.") % {"firm": invitation.firm})
                return redirect("home")
    return render(
        request,
        "registration/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=status,
    )
