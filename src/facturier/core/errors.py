"""The domain's errors: one hierarchy, each with a stable code.

The UI shows `message` (translated); the API returns `code`, `message` and
`status`. Lower-level errors (database, SMTP, Typst) are translated into these
at the edge that meets them.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every refusal an action can give."""

    code = "error"
    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, hint=None, **params: object) -> None:
        # `hint`: the same refusal in a few words, for a disabled button's reason.
        self._hint = hint
        self.params = params
        template = message if message is not None else self.default_message
        self._template = template
        # Not formatted now: a refusal is often built only for its hint (the toolbar
        # asks every rule of every row), and formatting waits for the language in use.
        super().__init__()

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Picklable (worker pools, caches) with the state __init__ does not take back.
        return (_rebuild, (type(self), self.__dict__))

    @property
    def hint(self) -> str:
        return str(self._hint) if self._hint is not None else self.message

    @property
    def message(self) -> str:
        # Rendered when read, so it speaks the language active then (params may be lazy).
        text = str(self._template)
        return text % {k: str(v) for k, v in self.params.items()} if self.params else text


def _rebuild(cls, state):
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error)
    return error


class NotFound(DomainError):
    """The invoice does not exist, or the user may not see it (never say which)."""

    code = "not_found"
    status = 404
    default_message = _("No such object.")


class NotAllowed(DomainError):
    """The user may see the invoice but lacks the right for this action."""

    code = "not_allowed"
    status = 403
    default_message = _("You are not allowed to do this.")


class InvalidTransition(DomainError):
    """The action does not apply to an invoice in its current status."""

    code = "invalid_transition"
    status = 409
    default_message = _("This action does not apply to an invoice in this status.")


class DepositDeducted(DomainError):
    """A deposit an issued invoice deducts: the final invoice is credited instead."""

    code = "deposit_deducted"
    status = 409
    default_message = _("This deposit is deducted by an issued invoice.")


class Frozen(DomainError):
    """Finalized and closed invoices keep their content as it was."""

    code = "frozen"
    status = 409
    default_message = _("A finalized invoice cannot be changed.")


class AlreadySent(DomainError):
    """Bulk sending takes only invoices never sent; a resend is one at a time."""

    code = "already_sent"
    status = 409
    default_message = _("Already sent: resend invoices one at a time.")


class Invalid(DomainError):
    """The input is incomplete or wrong; `errors` maps field names to messages."""

    code = "validation"
    status = 422
    default_message = _("Some fields need attention.")

    def __init__(
        self,
        errors: Mapping[str, list] | None = None,
        message=None,
        *,
        codes: Mapping[str, list[str]] | None = None,
        **params,
    ):
        # Each field's messages, and beside them a stable code per message for programs
        # ("required", "invalid", "max_length", ...): given, or "invalid".
        self.errors = {field: [str(m) for m in msgs] for field, msgs in (errors or {}).items()}
        codes = codes or {}
        self.codes = {
            field: list(codes.get(field) or ["invalid"] * len(msgs))
            for field, msgs in self.errors.items()
        }
        super().__init__(message, **params)

    @classmethod
    def from_django(cls, exc, message=None, prefix: str = "") -> "Invalid":
        """From a model's ValidationError, keeping Django's codes (required, max_length...)."""
        errors: dict[str, list[str]] = {}
        codes: dict[str, list[str]] = {}
        by_field = exc.error_dict if hasattr(exc, "error_dict") else {"general": exc.error_list}
        for field, items in by_field.items():
            name = prefix + ("general" if field == "__all__" else field)
            for item in items:
                for one in item:  # a ValidationError iterates over its messages
                    errors.setdefault(name, []).append(str(one))
                codes.setdefault(name, []).extend([item.code or "invalid"] * len(list(item)))
        return cls(errors, message, codes=codes)
