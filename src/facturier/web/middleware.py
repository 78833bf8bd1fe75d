import time

from django.contrib import messages
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from facturier.core.validators import has_control_characters

from .signin import SETUP_REQUIRED


class UserLanguageMiddleware:
    """A user's chosen language wins over the browser's Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class RefuseControlCharactersMiddleware:
    """No parameter of a page may hold a control character: NUL breaks PostgreSQL, the
    others break e-mail headers, XML and PDFs. Text areas keep tab and line breaks.
    Refused with a 400 before any view reads them, so no form can forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _holds_control_characters(request):
            return HttpResponseBadRequest(
                gettext("The request holds control characters (such as NUL): nothing was saved."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _holds_control_characters(request) -> bool:
    if request.path.startswith("/api/"):
        return False  # the API answers with its own errors (its serializers check text)
    for key, value in request.GET.lists():
        if has_control_characters(key) or any(has_control_characters(v) for v in value):
            return True
    if request.method != "POST" or not request.content_type.startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        return False
    for key, value in request.POST.lists():
        if has_control_characters(key) or any(
            has_control_characters(v, multiline=True) for v in value
        ):
            return True
    return False


class TwoFactorsSetupMiddleware:
    """A member whose firm requires two factors and who signed in without any is led to
    Settings → Security before any other page (web/signin.py marks the session). API
    calls with a token are not concerned; with the session they are refused meanwhile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.session.get(SETUP_REQUIRED) or _setup_may_go(request.path):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            if request.headers.get("Authorization"):
                return self.get_response(request)
            return JsonResponse(
                {
                    "code": "two_factors_required",
                    "message": gettext("Set up two-factor sign-in first."),
                },
                status=403,
            )
        messages.info(
            request,
            gettext("Your firm requires two-factor sign-in: set up an authenticator app to go on."),
        )
        return redirect("settings:security")


def _setup_may_go(path: str) -> bool:
    allowed = (
        reverse("settings:security"),
        reverse("settings:totp_enable"),
        reverse("settings:passkey_add"),
        reverse("logout"),
        reverse("set_language"),
        "/static/",
        "/favicon.ico",
    )
    return path.startswith(allowed)


LAST_SEEN = "last_seen"


class LastSeenMiddleware:
    """Notes in a signed-in member's session when it was last used (at most once a
    minute), for the list of their sessions in Settings → Security."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            if now - request.session.get(LAST_SEEN, 0) >= 60:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class FormAddressPageMiddleware:
    """A form's address opened in the browser (a bookmark, a typed URL) answers a page
    that says so, in the user's language, not the empty 405 Django's require_POST
    gives. The API answers its own 405s."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 405
            or response.content
            or request.method != "GET"
            or request.path.startswith("/api/")
        ):
            return response
        portal = request.path.startswith("/portal/")
        back = reverse("portal:home" if portal else "billing:invoices")
        page = render(request, "405.html", {"back": back, "portal": portal}, status=405)
        page["Allow"] = response["Allow"]
        return page
