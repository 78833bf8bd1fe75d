"""What firms tells: the names its actions write in the audit trail, and the events the
apps above subscribe to."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.core.events import publish

from . import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    FIRM_CREATED = "firm.created", _("firm created")
    FIRM_SETTINGS_CHANGED = "firm.settings_changed", _("firm settings changed")
    STAFF_CREATED = "staff.created", _("staff member created")
    STAFF_CHANGED = "staff.changed", _("staff member changed")
    STAFF_DELETED = "staff.deleted", _("staff member deleted")
    STAFF_LANGUAGE_CHANGED = "staff.language_changed", _("staff member's language changed")
    ROLE_SAVED = "role.saved", _("role saved")
    CONTACT_DATA_EXPORTED = "contact.data_exported", _("contact's personal data exported")
    CONTACT_ERASED = "contact.erased", _("contact's personal data erased")
    STAFF_DATA_EXPORTED = "staff.data_exported", _("staff member's personal data exported")
    STAFF_ERASED = "staff.erased", _("staff member's personal data erased")


audit.declare(AuditName)


@dataclass(frozen=True)
class FirmCreated:
    """A new firm: the apps above give it what it starts with (default texts, say)."""

    firm_id: int


def firm_created(firm) -> None:
    publish(FirmCreated(firm_id=firm.pk))
