"""What access tells: the names its actions write in the audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    TOKEN_ISSUED = "token.issued", _("API token issued")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")


audit.declare(AuditName)
