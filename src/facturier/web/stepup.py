"""Two factors before sensitive settings, in the browser: the page that confirms a code,
and the refusal the settings pages show (with the link to set up or confirm)."""

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from facturier.access import actions as access_actions
from facturier.access.errors import SecondFactorNeeded
from facturier.access.stepup import (
    CONFIRMED_AT,
    CONFIRMED_WITHIN,
    sensitive_changes,
    step_up_refusal,
)
from facturier.core.errors import DomainError

from .common import section


def remember_confirmed(request: HttpRequest) -> None:
    request.session[CONFIRMED_AT] = time.time()


def refused_change(request: HttpRequest, stored, fields, names, **options) -> dict | None:
    """The refusal when `fields` change one of the sensitive `names` of `stored` and the
    member may not do so now (nothing is saved then), else None."""
    if not sensitive_changes(stored, fields, names, **options):
        return None
    found = refusal(request)
    if found is not None:
        found["refused"] = True
    return found


def refusal(request: HttpRequest) -> dict | None:
    """The refusal and its link when the member may not change sensitive settings now."""
    exc = step_up_refusal(
        request.user, confirmed_at=request.session.get(CONFIRMED_AT), by_token=False
    )
    if exc is None:
        return None
    if isinstance(exc, SecondFactorNeeded):
        link, label = reverse("settings:security"), _("Set up two-factor sign-in")
    else:
        link = f"{reverse('settings:confirm_code')}?{urlencode({'next': request.path})}"
        label = _("Confirm a code")
    return {"message": exc.message, "code": exc.code, "link": link, "label": label}


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return reverse("settings:security")


def _confirm_context(request: HttpRequest, **extra) -> dict:
    from .passkeys import sign_in_options

    return section(
        "settings",
        "security",
        next=_next(request),
        minutes=CONFIRMED_WITHIN // 60,
        totp=access_actions.has_totp(request.user),
        passkey_options=sign_in_options(request, request.user, "step_up"),
        **extra,
    )


def _confirm(request: HttpRequest) -> None:
    from .passkeys import check

    if "credential" in request.POST:
        check(request, request.user, "step_up", by=request.user)
    else:
        access_actions.check_second_factor(
            request.user, by=request.user, code=request.POST.get("code", "")
        )


@login_required
def confirm_code(request: HttpRequest) -> HttpResponse:
    """A code from the member's app, or one of their passkeys, before a sensitive change
    (valid 10 minutes)."""
    if not access_actions.has_second_factor(request.user):
        messages.error(request, SecondFactorNeeded().message)
        return redirect("settings:security")
    if request.method != "POST":
        return render(request, "settings/confirm_code.html", _confirm_context(request))
    try:
        _confirm(request)
    except DomainError as exc:
        context = _confirm_context(request, refusal=exc.message, code=exc.code)
        return render(request, "settings/confirm_code.html", context, status=exc.status)
    remember_confirmed(request)
    messages.success(request, _("Code confirmed: you may change sensitive settings."))
    return redirect(_next(request))
