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
    LETTER_TEMPLATE_SAVED = "letter_template.saved", _("letter template saved")
    LETTER_CREATED = "engagement_letter.created", _("engagement letter created")
    LETTER_SENT = "engagement_letter.sent", _("engagement letter sent")
    LETTER_DELIVERED = "engagement_letter.delivered", _("engagement letter delivered")
    LETTER_RETRYING = "engagement_letter.retrying", _("engagement letter e-mail to be retried")
    LETTER_REFUSED = "engagement_letter.refused", _("engagement letter e-mail refused")
    LETTER_SIGNED = "engagement_letter.signed", _("engagement letter signed")
    LETTER_ACTIVATED = "engagement_letter.activated", _("engagement letter active")
    LETTER_ENDED = "engagement_letter.ended", _("engagement letter ended")
    BUDGET_ADDED = "budget.added", _("budget added")
    BUDGET_CHANGED = "budget.changed", _("budget changed")
    BUDGET_REMOVED = "budget.removed", _("budget removed")
    THRESHOLDS_SET = "budget.thresholds_set", _("budget alert thresholds set")
    BUDGET_ALERT = "budget.alert_sent", _("budget alert sent")
    DEPOSIT_DRAFTED = "engagement.deposit_drafted", _("deposit invoice drafted")
    DEPOSIT_DEDUCTED = "engagement.deposit_deducted", _("deposit deducted")
    DEPOSIT_WAITS = "engagement.deposit_waits", _("deposit left for a later invoice")


audit.declare(AuditName)
