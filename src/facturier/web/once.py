"""Forms that send or record something act once per rendering: each carries a hidden
key minted when it is rendered ({% once_key %}), stored with the action's result as the
API's Idempotency-Key records are. Submitted twice (a double click, two tabs sending
at once), the second submission acts on nothing and leads where the first did."""

import functools
import hashlib

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from facturier.access.actions import answer_key, claim_key, forget_key
from facturier.access.models import IdempotencyRecord
from facturier.core.actions import unit_of_work

FIELD = "idempotency_key"
# Web keys apart from the API's: a key typed in an API call never replays a form.
PREFIX = "form:"


def once(view):
    """Run a POST view at most once per form key: the claim of the key, the view's
    actions and its answer commit together."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.POST.get(FIELD, "").strip() if request.method == "POST" else ""
        if not key or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if len(key) > 200 or not key.isprintable():
            return HttpResponseBadRequest(_("This form's key is not valid: open the form again."))
        key = PREFIX + key
        fingerprint = hashlib.sha256(request.path.encode()).hexdigest()
        done = _answer(request.user, key)
        if done is not None:
            return _replay(request, done)
        try:
            with unit_of_work():
                record = claim_key(by=request.user, key=key, fingerprint=fingerprint)
                response = view(request, *args, **kwargs)
                location = _done_at(response)
                if location is not None:
                    answer_key(
                        record,
                        by=request.user,
                        status=response.status_code,
                        body={"location": location},
                    )
                else:
                    forget_key(record, by=request.user)
        except IntegrityError:  # sent twice at once: the other submission acted
            return _replay(request, _answer(request.user, key))
        return response

    return wrapper


def _done_at(response) -> str | None:
    """Where a view that acted sends the person (a redirect, or htmx's); None if it
    answered with the form again (refused: nothing was done)."""
    if response.has_header("HX-Redirect"):
        return response["HX-Redirect"]
    if 300 <= response.status_code < 400:
        return response["Location"]
    return None


def _answer(user, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user=user, key=key).first()


def _replay(request, record: IdempotencyRecord | None):
    messages.info(request, _("This form was already sent: it was acted on once."))
    location = (record.body or {}).get("location") if record is not None else None
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(location or request.path)
    return redirect(location or request.path)
