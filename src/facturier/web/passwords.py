"""Forgotten passwords: Django's reset pages, the e-mail queued in the outbox (never sent
while the page waits), the same answer whether the address is known or not, and a limit
on how often one address, or one IP address, may ask."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

from facturier.access import actions as access_actions

RATES = {"address": "5/hour", "ip": "20/hour"}


class ResetThrottle(SimpleRateThrottle):
    """DRF's throttle (the API's, same cache and window), keyed by what it is given."""

    cache = cache
    THROTTLE_RATES = RATES

    def __init__(self, scope: str, ident: str):
        self.scope = scope
        self.ident = ident
        super().__init__()

    def get_cache_key(self, request, view):
        return f"password-reset:{self.scope}:{self.ident}"


def allowed(request, email: str) -> bool:
    """Every ask counts, known address or not, so the limit tells nothing either."""
    by_ip = ResetThrottle("ip", "")
    by_ip.ident = by_ip.get_ident(request)  # REMOTE_ADDR, or as the API reads proxies
    checks = [by_ip, ResetThrottle("address", email.strip().lower())]
    return all([check.allow_request(request, None) for check in checks])


class ResetRequestView(auth_views.PasswordResetView):
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not allowed(self.request, email):
            return render(
                self.request,
                "registration/password_reset_form.html",
                {
                    "form": form,
                    "refusal": _("Too many requests: try again in an hour."),
                    "code": "rate_limited",
                },
                status=429,
            )
        access_actions.request_password_reset(
            email=email,
            site=self.request.build_absolute_uri("/"),
            language=translation.get_language() or "fr",
        )
        return super(auth_views.PasswordResetView, self).form_valid(form)


class ResetPasswordForm(SetPasswordForm):
    """Saved by the access app's action, with the link's token checked once more."""

    token = ""

    def save(self, commit=True):
        return access_actions.reset_password(
            self.user, by=self.user, password=self.cleaned_data["new_password1"], token=self.token
        )


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ResetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink"):
            kwargs["status"] = 410  # used, expired or never issued: gone, said on the page
        return super().render_to_response(context, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        # The token as the link gave it (Django keeps it in the session meanwhile).
        form.token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN, "")
        return form
