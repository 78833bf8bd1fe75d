"""What the portal's actions write in the firm's audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    ACCESS_GRANTED = "portal_access.granted", _("contact invited to the client portal")
    ACCESS_REVOKED = "portal_access.revoked", _("contact's portal access revoked")
    LINK_SENT = "portal_link.sent", _("portal sign-in link sent")
    SESSION_OPENED = "portal_session.opened", _("contact signed in to the portal")
    SESSION_CLOSED = "portal_session.closed", _("contact signed out of the portal")
    DOCUMENT_ACCEPTED = "acceptance.recorded", _("document accepted online")


audit.declare(AuditName)
