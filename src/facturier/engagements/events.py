"""What engagements tell: the names their actions write in the audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    CREATED = "engagement.created", _("engagement created")
    AMENDED = "engagement.amended", _("engagement amended")
    ENDED = "engagement.ended", _("engagement ended")
    REVISED = "engagement.revised", _("fees revised")
    BILLED = "engagement.billed", _("periods billed")
    PAUSED = "engagement.paused", _("billing paused")
    RESUMED = "engagement.resumed", _("billing resumed")
    INDEX_SAVED = "index_value.saved", _("index value saved")


audit.declare(AuditName)
