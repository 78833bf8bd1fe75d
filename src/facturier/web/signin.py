"""Signing in: the password, then the code of the member's authenticator app when they
set one up, with failed attempts limited per account and per IP address."""

import time

from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from rest_framework.throttling import BaseThrottle

from facturier.access import actions as access_actions
from facturier.access.errors import PasskeyRefused, SsoOnly, WrongCode
from facturier.access.stepup import CONFIRMED_AT
from facturier.firms.models import User

PENDING = "signin_pending"
# Set at sign-in when the member's firm requires two factors and they have none yet.
SETUP_REQUIRED = "two_factors_setup_required"
PENDING_FOR = 300  # seconds between the password and the code
WINDOW = 15 * 60
LIMITS = {"account": 5, "ip": 20}


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or as the API reads proxies (NUM_PROXIES)."""
    return BaseThrottle().get_ident(request) or ""


def _keys(request: HttpRequest, username: str) -> dict[str, str]:
    return {
        "account": f"signin-failures:account:{username.strip().lower()}",
        "ip": f"signin-failures:ip:{client_ip(request)}",
    }


def throttled(request: HttpRequest, username: str) -> bool:
    """Too many failures lately for this account or from this address."""
    counts = cache.get_many(list(_keys(request, username).values()))
    return any(
        counts.get(key, 0) >= LIMITS[scope] for scope, key in _keys(request, username).items()
    )


def count_failure(request: HttpRequest, username: str) -> None:
    """One more failure in each window (a window opens with its first failure)."""
    for key in _keys(request, username).values():
        cache.add(key, 0, timeout=WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW)


def _user_agent(request: HttpRequest | None) -> str:
    return request.headers.get("User-Agent", "") if request is not None else ""


def requires_setup(user: User, second_factor: str) -> bool:
    """Signed in without a second factor in a firm that requires one."""
    if second_factor or not (user.firm_id and user.firm.two_factors_required):
        return False
    return not access_actions.has_second_factor(user)


@receiver(user_logged_in, dispatch_uid="facturier.sign_in.audit")
def _audit_sign_in(sender, request, user, **kwargs) -> None:
    """Every sign-in (the login page, an accepted invitation, the admin's): in the trail,
    and led to set up two factors first where the firm requires them."""
    if request is None or not getattr(user, "pk", None):
        return
    if hasattr(request, "session") and requires_setup(user, getattr(request, "second_factor", "")):
        request.session[SETUP_REQUIRED] = True
    access_actions.record_sign_in(
        user,
        by=user,
        ip=client_ip(request),
        user_agent=_user_agent(request),
        session_key=request.session.session_key,
        second_factor=getattr(request, "second_factor", ""),
    )


@receiver(user_login_failed, dispatch_uid="facturier.sign_in.failure_audit")
def _audit_failure(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return
    access_actions.record_failed_sign_in(
        username=str(credentials.get("username", "")),
        ip=client_ip(request),
        user_agent=_user_agent(request),
        reason="password",
    )


def _refused(request: HttpRequest, template: str, context: dict, username: str) -> HttpResponse:
    access_actions.record_failed_sign_in(
        username=username,
        ip=client_ip(request),
        user_agent=_user_agent(request),
        reason="throttled",
    )
    context |= {
        "refusal": _("Too many failed sign-ins: try again in 15 minutes."),
        "code": "rate_limited",
    }
    return render(request, template, context, status=429)


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if throttled(request, username):
            return _refused(request, self.template_name, self.get_context_data(), username)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        count_failure(self.request, username)
        # A member of an "SSO only" firm gets the same answer whatever the password: a
        # different one for the right password would confirm it to whoever tries.
        member = User.objects.filter(username=username, is_active=True).first()
        if member is not None and access_actions.sso_only_refuses(member):
            return self._sso_only_answer(form)
        return super().form_invalid(form)

    def form_valid(self, form):
        user = form.get_user()
        if access_actions.sso_only_refuses(user):
            return self._sso_only(form, user)
        if not access_actions.has_second_factor(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("login_code")

    def _sso_only(self, form, user: User) -> HttpResponse:
        """The right password, but the firm signs in through its provider."""
        access_actions.record_failed_sign_in(
            username=user.username,
            ip=client_ip(self.request),
            user_agent=_user_agent(self.request),
            reason="sso_only",
        )
        count_failure(self.request, user.username)
        return self._sso_only_answer(form)

    def _sso_only_answer(self, form) -> HttpResponse:
        refusal = SsoOnly()
        context = self.get_context_data(form=form) | {
            "refusal": refusal.message,
            "code": refusal.code,
        }
        return render(self.request, self.template_name, context, status=refusal.status)


def _pending_user(request: HttpRequest) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_FOR:
        return None, {}
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


def _code_context(request: HttpRequest, user: User, **extra) -> dict:
    """What the second step offers: a code field when the member has an app, a passkey
    button (with a fresh challenge) when they have passkeys."""
    from .passkeys import sign_in_options

    return {
        "totp": access_actions.has_totp(user),
        "passkey_options": sign_in_options(request, user, "sign_in"),
        **extra,
    }


def _second_factor(request: HttpRequest, user: User) -> str:
    """The passkey or the code the form posted: 'passkey', 'totp' or 'recovery'."""
    from .passkeys import check

    if "credential" in request.POST:
        check(request, user, "sign_in", by=None)
        return "passkey"
    return access_actions.check_second_factor(user, code=request.POST.get("code", ""))


@never_cache
@csrf_protect
def signin_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, a recovery code, or a
    passkey."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("login")
    template = "registration/login_code.html"
    if request.method != "POST":
        return render(request, template, _code_context(request, user))
    if throttled(request, user.username):
        return _refused(request, template, _code_context(request, user), user.username)
    try:
        request.second_factor = _second_factor(request, user)
    except (WrongCode, PasskeyRefused) as exc:
        count_failure(request, user.username)
        if isinstance(exc, WrongCode):
            access_actions.record_failed_sign_in(
                username=user.username,
                ip=client_ip(request),
                user_agent=_user_agent(request),
                reason="code",
            )
        context = _code_context(request, user, refusal=exc.message, code=exc.code)
        return render(request, template, context, status=exc.status)
    del request.session[PENDING]
    auth_login(request, user, backend=pending["backend"])
    request.session[CONFIRMED_AT] = time.time()  # a second factor now counts for settings
    return redirect(pending["next"])
