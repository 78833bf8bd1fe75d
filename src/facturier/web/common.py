"""What the web views share: where to go back to, confirmations, and each section's context."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from facturier.core.converters import row_id


def back_url(request: HttpRequest, default: str) -> str:
    """The page to return to (?next= or the form's next), if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def confirmation(done: list, one: str, many: str) -> str:
    """'Invoice 0001054 closed.' for one, '3 invoices closed.' for several."""
    if len(done) == 1:
        return one % {"number": done[0]}
    return many % {"count": len(done)}


def section(name: str, tab: str = "", **extra) -> dict:
    """The template context of a page: which section and tab of the navigation it is in."""
    return {"section": name, "tab": tab, **extra}


def ids_from(values) -> list[int]:
    """Object ids from a form or query; what cannot be one is left out."""
    return [pk for pk in map(row_id, values) if pk is not None]


def refusal_text(exc) -> str:
    """A refusal in one message: what it says, then what each field needs. Shown where
    no field is beside it: "some fields need attention" would send the user looking for
    fields, so a refusal saying only that gives what each field needs alone."""
    errors = getattr(exc, "errors", {})
    needs = [m for msgs in errors.values() for m in msgs]
    generic = needs and exc.message == str(getattr(type(exc), "default_message", ""))
    return " ".join(needs if generic else [exc.message, *needs])


def refuse(form, exc) -> None:
    """A refusal shown in its form: each field's errors beside that field, the rest (a
    field the form lacks, a refusal of no field) above the form."""
    errors = getattr(exc, "errors", {})
    for key, messages in errors.items():
        for message in messages:
            form.add_error(key if key in form.fields else None, message)
    if not errors:
        form.add_error(None, refusal_text(exc))
