"""The portal's own session: a cookie of its own, scoped to /portal/, naming a
PortalSession row. Staff sign-in (Django's session and request.user) is never read here,
and this cookie is never read by staff pages: each door opens only its own side."""

import functools

from django.conf import settings
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.cache import never_cache

from .actions import contact_language
from .actions.links import SESSION_LIFETIME
from .selectors import session_for

COOKIE = "facturier_portal"
PATH = "/portal/"


def set_cookie(response, raw: str) -> None:
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def clear_cookie(response) -> None:
    response.delete_cookie(COOKIE, path=PATH, samesite="Lax")


def contact_required(view):
    """A portal page: the signed-in contact (request.contact, request.client) in their
    language, else the sign-in page."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        session = session_for(request.COOKIES.get(COOKIE, ""))
        if session is None:
            return redirect("portal:sign_in")
        request.contact = session.access.contact
        request.client = request.contact.client
        language = contact_language(request.contact)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapper
