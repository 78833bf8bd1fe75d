"""Refusals about personal data (each with a stable code)."""

from django.utils.translation import gettext_lazy as _

from facturier.core.errors import DomainError

# What erasure keeps, and why: said in its result, its refusals and the README.
WHAT_STAYS = _(
    "The invoices and credit notes keep their frozen recipient (name and e-mail), and the "
    "e-mails sent keep the addresses they went to: French law keeps invoices and the "
    "books for ten years (Code de commerce, art. L123-22; the FEC). The audit trail keeps "
    "its rows, without the person's name."
)


class MemberActive(DomainError):
    """A member is deactivated before their personal data is erased."""

    code = "member_active"
    status = 409
    default_message = _("Deactivate this member before erasing their personal data.")


class AlreadyErased(DomainError):
    code = "already_erased"
    status = 409
    default_message = _("This person's personal data was already erased.")
