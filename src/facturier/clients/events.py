"""What clients tells: the names its actions write in the audit trail, and the events
the apps above subscribe to."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    CLIENT_CREATED = "client.created", _("client created")
    CLIENT_CHANGED = "client.changed", _("client changed")
    OWNERSHIPS_CHANGED = "staff.clients_changed", _("clients a staff member owns changed")
    CLIENT_ARCHIVED = "client.archived", _("client archived")
    CLIENT_RESTORED = "client.restored", _("client restored")
    CLIENT_DELETED = "client.deleted", _("client deleted")
    CLIENT_MERGED = "client.merged", _("clients merged")
    CONTACT_ADDED = "contact.added", _("contact added")
    CONTACT_CHANGED = "contact.changed", _("contact changed")
    CONTACT_REMOVED = "contact.removed", _("contact removed")


audit.declare(AuditName)


@dataclass(frozen=True)
class ClientsMerging:
    """`merged` is about to be folded into `kept`: an app above moves what it keeps per
    client (and its totals) now, in the merging transaction."""

    firm_id: int
    kept_id: int
    merged_id: int
