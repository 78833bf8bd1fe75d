"""The client's engagement letters: read one (its PDF), accept it online."""

import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import actions, selectors
from .forms import LetterAcceptForm
from .session import contact_required
from .views import _context, _download
from .views_mandates import accept_with, status_of


def _letter(request, pk: int):
    letter = selectors.letter(client=request.client, pk=pk)
    if letter is None:
        raise Http404(_("No such engagement letter."))
    return letter


def _awaits(letter) -> bool:
    return letter.status == "sent" and letter.is_current


@contact_required
@require_GET
def letters(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.letters(client=request.client))
    for row in rows:
        row.awaits = _awaits(row)
    return render(request, "portal/letters.html", _context(request, "letters", letters=rows))


@contact_required
@require_http_methods(["GET", "POST"])
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter and, while it awaits acceptance, the form that accepts it."""
    letter = _letter(request, pk)
    pending = _awaits(letter)
    form = LetterAcceptForm(request.POST or None)
    refusal = code = ""
    if request.method == "POST" and pending and form.is_valid():
        refusal, code = accept_with(request, form, actions.accept_letter, letter)
        if not (refusal or form.errors):
            return redirect("portal:letter", pk=letter.pk)
    # The SHA-256 of the PDF as sent: what an acceptance from this page accepts.
    sha = hashlib.sha256(bytes(letter.pdf)).hexdigest() if pending else ""
    return render(
        request,
        "portal/letter.html",
        _context(
            request,
            "letters",
            letter=letter,
            pending=pending,
            form=form,
            sha=sha,
            refusal=refusal,
            code=code,
            acceptance=selectors.acceptance_of(letter),
        ),
        status=status_of(request, form, refusal),
    )


@contact_required
@require_GET
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter to read; once accepted online, the signed PDF with its evidence page."""
    letter = _letter(request, pk)
    acceptance = selectors.acceptance_of(letter)
    pdf = bytes(acceptance.signed_pdf) if acceptance is not None else bytes(letter.pdf)
    response = _download(pdf, "application/pdf", letter.filename)
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline"
    )
    return response
