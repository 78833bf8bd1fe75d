"""What einvoicing tells: the names its actions write in the audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    PLATFORM_SAVED = "platform.saved", _("e-invoicing platform saved")
    WEBHOOK_CHANGED = "webhook.changed", _("address for the platform's calls changed")
    EREPORT_BUILT = "ereport.built", _("e-reporting file built")
    EREPORT_CORRECTED = "ereport.corrected", _("e-reporting correction built")
    EREPORT_RETRIED = "ereport.retried", _("failed e-reporting deposit queued again")
    TRANSMISSION_RETRIED = "transmission.retried", _("failed platform deposit queued again")


audit.declare(AuditName)
