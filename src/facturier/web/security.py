"""Settings → Security: each member's own authenticator app and recovery codes."""

import base64
import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.access import actions as access_actions
from facturier.core.errors import DomainError, Invalid, NotAllowed
from facturier.firms import actions as firm_actions
from facturier.firms.permissions import can_manage_settings

from . import passkeys, stepup
from .common import section
from .devices import device_name
from .middleware import LAST_SEEN
from .signin import SETUP_REQUIRED
from .sso import SingleSignOnForm, redirect_uri

SETUP_KEY = "totp_setup_key"


def _setup_context(request: HttpRequest) -> dict:
    """The secret offered to the member (kept in their session until a code confirms it),
    as a QR code and as text to type."""
    key = request.session.get(SETUP_KEY)
    if not key:
        key = request.session[SETUP_KEY] = access_actions.new_totp_key()
    url = TOTPDevice(user=request.user, key=key, name="").config_url
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    qr = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return {
        "qr": mark_safe(qr),  # noqa: S308  (segno's own SVG, no user text in it)
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }


def _sessions(request: HttpRequest) -> list[dict]:
    """The member's open sessions, this one first: device, IP address, last seen."""
    rows = []
    for row, session in access_actions.open_sessions(request.user):
        seen = session.get_decoded().get(LAST_SEEN)
        rows.append(
            {
                "device": device_name(row.user_agent),
                "ip": row.ip,
                "signed_in_at": row.signed_in_at,
                "last_seen": (
                    datetime.datetime.fromtimestamp(seen, tz=datetime.UTC)
                    if seen
                    else row.signed_in_at
                ),
                "current": row.session_key == request.session.session_key,
            }
        )
    return sorted(rows, key=lambda r: (not r["current"], -r["last_seen"].timestamp()))


def _sso_context(request: HttpRequest, form: SingleSignOnForm | None) -> dict:
    """The firm's single sign-on, for members with the settings right."""
    if not can_manage_settings(request.user):
        return {}
    stored = access_actions.single_sign_on(request.user.firm_id)
    return {
        "sso": stored,
        "sso_form": form or SingleSignOnForm(instance=stored),
        "sso_redirect_uri": redirect_uri(request),
    }


def _page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    user = request.user
    device = access_actions.totp_device(user)
    extra |= _sso_context(request, extra.pop("sso_form", None))
    keys = access_actions.passkeys_of(user)
    context = section(
        "settings",
        "security",
        device=device,
        passkeys=keys,
        passkey_options=passkeys.registration_options(request),
        recovery_left=access_actions.recovery_codes_left(user) if device or keys else 0,
        firm_requires=bool(user.firm_id and user.firm.two_factors_required),
        retention_years=user.firm.personal_data_retention_years if user.firm_id else None,
        sessions=_sessions(request),
        **extra,
    )
    if device is None and "recovery_codes" not in extra:
        context |= _setup_context(request)
    return render(request, "settings/security.html", context, status=status)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _page(request, status=exc.status, refusal=exc.message, code=exc.code)


@login_required
@require_POST
def totp_enable(request: HttpRequest) -> HttpResponse:
    try:
        codes = access_actions.enable_totp(
            by=request.user,
            key=request.session.get(SETUP_KEY, ""),
            code=request.POST.get("code", ""),
        )
    except DomainError as exc:
        return _refused(request, exc)
    request.session.pop(SETUP_KEY, None)
    request.session.pop(SETUP_REQUIRED, None)
    messages.success(request, _("Your authenticator app is set up."))
    return _page(request, recovery_codes=codes)


@login_required
@require_POST
def totp_disable(request: HttpRequest) -> HttpResponse:
    try:
        access_actions.disable_totp(by=request.user, code=request.POST.get("code", ""))
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(request, _("Your authenticator app was removed."))
    if request.user.firm_id and request.user.firm.two_factors_required:
        request.session[SETUP_REQUIRED] = True  # set up another one before going on
    return redirect("settings:security")


@login_required
@require_POST
def recovery_renew(request: HttpRequest) -> HttpResponse:
    try:
        codes = access_actions.renew_recovery_codes(
            by=request.user,
            code=request.POST.get("code", ""),
            confirmed=stepup.refusal(request) is None,
        )
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(request, _("New recovery codes made: the old ones no longer work."))
    return _page(request, recovery_codes=codes)


@login_required
@require_POST
def two_factors_required(request: HttpRequest) -> HttpResponse:
    """The firm's rule (settings right): members without two factors set one up at their
    next sign-in."""
    if not can_manage_settings(request.user):
        return _refused(request, NotAllowed(firm_actions.NEEDS_SETTINGS_RIGHT))
    required = request.POST.get("two_factors_required") == "on"
    try:
        firm_actions.update_firm_settings(
            request.user.firm_id, by=request.user, fields={"two_factors_required": required}
        )
    except DomainError as exc:
        return _refused(request, exc)
    if required:
        messages.success(request, _("Two factors are now required in your firm."))
    else:
        messages.success(request, _("Two factors are no longer required in your firm."))
    return redirect("settings:security")


@login_required
@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    ended = access_actions.end_other_sessions(by=request.user, keep=request.session.session_key)
    messages.success(
        request,
        ngettext("%(count)d other session ended.", "%(count)d other sessions ended.", ended)
        % {"count": ended},
    )
    return redirect("settings:security")


def single_sign_on(request: HttpRequest) -> HttpResponse:
    """The firm's provider (settings right): saved once its discovery document is read."""
    if request.method != "POST":
        return redirect("settings:security")
    stored = access_actions.single_sign_on(request.user.firm_id)
    form = SingleSignOnForm(request.POST, instance=stored or None)
    if form.is_valid():
        # Who names the provider decides who signs in as anyone: two factors first.
        step_up = stepup.refused_change(
            request,
            stored,
            form.cleaned_data,
            access_actions.SSO_SENSITIVE_FIELDS,
            kept_when_empty=("client_secret",),
        )
        if step_up is not None:
            return _page(request, status=403, sso_form=form, step_up=step_up)
        try:
            access_actions.save_single_sign_on(
                request.user.firm, by=request.user, fields=form.cleaned_data
            )
        except Invalid as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except DomainError as exc:
            return _refused(request, exc)
        else:
            messages.success(request, _("Single sign-on saved."))
            return redirect("settings:security")
    return _page(request, status=422, sso_form=form)


@require_POST
def remove_single_sign_on(request: HttpRequest) -> HttpResponse:
    step_up = stepup.refusal(request)
    if step_up is not None and access_actions.single_sign_on(request.user.firm_id):
        return _page(request, status=403, step_up=step_up | {"refused": True})
    try:
        removed = access_actions.remove_single_sign_on(by=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    if removed:
        messages.success(request, _("Single sign-on removed: members sign in with passwords."))
    return redirect("settings:security")


@login_required
@require_POST
def passkey_add(request: HttpRequest) -> HttpResponse:
    """A member who already has a second factor adds one after a recent confirmation:
    a stolen session alone must not register its own passkey."""
    if access_actions.has_second_factor(request.user):
        found = stepup.refusal(request)
        if found is not None:
            messages.error(request, found["message"])
            back = urlencode({"next": reverse("settings:security")})
            return redirect(f"{reverse('settings:confirm_code')}?{back}")
    try:
        _passkey, codes = access_actions.add_passkey(
            by=request.user,
            name=request.POST.get("name", ""),
            credential=request.POST.get("credential", ""),
            site=passkeys.site(request),
            challenge=passkeys.spend(request, "register"),
        )
    except DomainError as exc:
        return _refused(request, exc)
    request.session.pop(SETUP_REQUIRED, None)
    messages.success(request, _("Your passkey is registered."))
    if codes:
        return _page(request, recovery_codes=codes)
    return redirect("settings:security")


@login_required
@require_POST
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Removing a second factor is a sensitive change: after a recent confirmation."""
    found = stepup.refusal(request)
    if found is not None:
        messages.error(request, found["message"])
        back = urlencode({"next": reverse("settings:security")})
        return redirect(f"{reverse('settings:confirm_code')}?{back}")
    try:
        access_actions.remove_passkey(pk, by=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(request, _("The passkey was removed."))
    firm = request.user.firm if request.user.firm_id else None
    if firm and firm.two_factors_required and not access_actions.has_second_factor(request.user):
        request.session[SETUP_REQUIRED] = True
    return redirect("settings:security")
