"""The invoicing domain's errors: one hierarchy, each with a stable code.

The UI shows `message` (translated); the API returns `code`, `message` and
`status`. Lower-level errors (database, SMTP, Typst) are translated into these
at the edge that meets them.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _


class InvoicingError(Exception):
    """Base of every refusal the invoicing domain can give."""

    code = "error"
    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, **params: object) -> None:
        self.params = params
        template = message if message is not None else self.default_message
        self._template = template
        super().__init__(str(self.message))

    def __reduce__(self):
        # Picklable (worker pools, caches) with the state __init__ does not take back.
        return (_rebuild, (type(self), self.__dict__))

    @property
    def message(self) -> str:
        # Rendered when read, so it speaks the language active then (params may be lazy).
        text = str(self._template)
        return text % {k: str(v) for k, v in self.params.items()} if self.params else text


def _rebuild(cls, state):
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error.message)
    return error


class NotFound(InvoicingError):
    """The invoice does not exist, or the user may not see it (never say which)."""

    code = "not_found"
    status = 404
    default_message = _("No such invoice.")


class NotAllowed(InvoicingError):
    """The user may see the invoice but lacks the right for this action."""

    code = "not_allowed"
    status = 403
    default_message = _("You are not allowed to do this.")


class InvalidTransition(InvoicingError):
    """The action does not apply to an invoice in its current status."""

    code = "invalid_transition"
    status = 409
    default_message = _("This action does not apply to an invoice in this status.")


class Frozen(InvoicingError):
    """Finalized and closed invoices keep their content as it was."""

    code = "frozen"
    status = 409
    default_message = _("A finalized invoice cannot be changed.")


class AlreadySent(InvoicingError):
    """Bulk sending takes only invoices never sent; a resend is one at a time."""

    code = "already_sent"
    status = 409
    default_message = _("Already sent: resend invoices one at a time.")


class Invalid(InvoicingError):
    """The input is incomplete or wrong; `errors` maps field names to messages."""

    code = "validation"
    status = 422
    default_message = _("Some fields need attention.")

    def __init__(self, errors: Mapping[str, list[str]] | None = None, message=None, **params):
        self.errors = {field: [str(m) for m in msgs] for field, msgs in (errors or {}).items()}
        super().__init__(message, **params)
