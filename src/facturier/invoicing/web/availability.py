"""Which actions apply to an invoice for a user, and if not, why not, in words.

The toolbar disables what does not apply and shows the reason; the actions
check everything again, so this only spares the user a refusal.
"""

from django.utils.translation import gettext_lazy as _

from .. import lifecycle, permissions
from ..lifecycle import Action
from ..models import Invoice

NEEDS_OWNER = _("Only an owner of the client with the processing permission may do this.")
NEEDS_PROCESSING = _("You need the processing permission.")

ROW_ACTIONS = ("edit", "delete", "finalize", "send", "resend", "pdf", "close", "reopen")


def why_not(user, invoice: Invoice) -> dict[str, str]:
    """Action name -> reason it does not apply ('' when it does)."""
    status = invoice.status
    owner_ok = permissions.can_edit(user, invoice)
    process_ok = permissions.can_close(user, invoice)
    reasons = {}

    def check(name, action, allowed, refusal, wrong_status):
        if not lifecycle.applies(action, status):
            reasons[name] = str(wrong_status)
        elif not allowed:
            reasons[name] = str(refusal)
        else:
            reasons[name] = ""

    drafts_only = _("Applies to drafts only.")
    check("edit", Action.UPDATE, owner_ok, NEEDS_OWNER, drafts_only)
    check("delete", Action.DELETE, owner_ok, NEEDS_OWNER, drafts_only)
    check("finalize", Action.FINALIZE, owner_ok, NEEDS_OWNER, drafts_only)
    finalized_only = _("Applies to finalized invoices only.")
    check("send", Action.SEND, owner_ok, NEEDS_OWNER, finalized_only)
    check("resend", Action.SEND, owner_ok, NEEDS_OWNER, finalized_only)
    if not reasons["send"] and invoice.sent_count:
        reasons["send"] = str(_("Already sent: resend it on its own."))
    if not reasons["resend"] and not invoice.sent_count:
        reasons["resend"] = str(_("Never sent yet: use Send."))
    check("close", Action.CLOSE, process_ok, NEEDS_PROCESSING, finalized_only)
    check(
        "reopen", Action.REOPEN, process_ok, NEEDS_PROCESSING, _("Applies to closed invoices only.")
    )
    reasons["pdf"] = ""  # whoever sees an invoice may view its PDF
    return reasons
