"""What work tells: the names its actions write in the audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    WORK_CODE_SAVED = "work_code.saved", _("work code saved")
    WORK_CODES_IMPORTED = "work_codes.imported", _("work codes imported")
    RATE_SAVED = "rate.saved", _("rate saved")
    ENTRY_CHANGED = "entry.changed", _("entry changed")
    ENTRY_DELETED = "entry.deleted", _("entry deleted")
    RECEIPT_ATTACHED = "entry.receipt_attached", _("receipt attached")


audit.declare(AuditName)
