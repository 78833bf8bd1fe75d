"""What clients tells: the names its actions write in the audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    CLIENT_CREATED = "client.created", _("client created")
    CLIENT_CHANGED = "client.changed", _("client changed")
    OWNERSHIPS_CHANGED = "staff.clients_changed", _("clients a staff member owns changed")


audit.declare(AuditName)
