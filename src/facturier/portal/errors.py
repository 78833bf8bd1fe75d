"""The portal's refusals, each with a stable code and words a client understands."""

from django.utils.translation import gettext_lazy as _

from facturier.core.errors import DomainError


class LinkInvalid(DomainError):
    """Not a link we gave (or its access was revoked since)."""

    code = "link_invalid"
    status = 410
    default_message = _("This sign-in link is not valid. Ask for a new one.")


class LinkExpired(DomainError):
    code = "link_expired"
    status = 410
    default_message = _(
        "This sign-in link has expired (it works for 15 minutes). Ask for a new one."
    )


class LinkUsed(DomainError):
    code = "link_used"
    status = 410
    default_message = _(
        "This sign-in link has already been used (it works once). Ask for a new one."
    )


class ContactOfAnotherClient(DomainError):
    code = "contact_of_another_client"
    status = 422
    default_message = _("This contact belongs to another client.")


class ContactArchived(DomainError):
    """The contact's client is archived: its contacts no longer get in."""

    code = "contact_archived"
    status = 409
    default_message = _("This contact's client is archived: the portal is closed to it.")


class AccessRevoked(DomainError):
    code = "access_revoked"
    status = 403
    default_message = _("Your access to the portal was withdrawn. Contact the firm.")


class TooManyRequests(DomainError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many sign-in links asked for: try again in 15 minutes.")


class DocumentChanged(DomainError):
    """The document changed after it was shown: it must be read and accepted again."""

    code = "document_changed"
    status = 409
    default_message = _(
        "The document has changed since it was shown to you. Read it again before accepting."
    )


class NotAwaitingSignature(DomainError):
    code = "not_awaiting_signature"
    status = 409
    default_message = _("This mandate is not awaiting a signature.")


class CreditorUnknown(DomainError):
    """A mandate names its creditor by the SEPA creditor identifier (ICS): one signed
    without it authorises no one the bank knows."""

    code = "no_creditor_id"
    status = 409
    default_message = _(
        "This mandate cannot be signed yet: the firm has not given its SEPA creditor "
        "identifier. Please contact the firm."
    )
