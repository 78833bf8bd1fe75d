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
    INDEX_SAVED = "index_value.saved", _("index value saved")
    BUDGET_ADDED = "budget.added", _("budget added")
    BUDGET_CHANGED = "budget.changed", _("budget changed")
    BUDGET_REMOVED = "budget.removed", _("budget removed")
    THRESHOLDS_SET = "budget.thresholds_set", _("budget alert thresholds set")
    BUDGET_ALERT = "budget.alert_sent", _("budget alert sent")


audit.declare(AuditName)
