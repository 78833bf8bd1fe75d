"""A contact's access to the portal, the one-time links that open it, the sessions they
open, and the evidence of a document accepted online.

Secrets (links, sessions) are kept as their SHA-256 only: a copy of the database opens
nothing.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Contact
from facturier.firms.models import Firm


def hash_secret(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """(the secret given out once, its hash kept)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_secret(raw)


class PortalAccess(models.Model):
    """A contact invited to the portal by a person of the firm; revoked, it opens nothing."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="portal_access", verbose_name=_("contact")
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(_("invited"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_signed_in_at = models.DateTimeField(_("last signed in"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal access")
        verbose_name_plural = _("portal accesses")
        ordering = ["-invited_at", "-id"]

    def __str__(self) -> str:
        return str(self.contact)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class SignInLink(models.Model):
    """A one-time link e-mailed to a contact: works once, for a few minutes."""

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="links")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self) -> str:
        return f"{self.access_id} {self.digest[:8]}…"


class PortalSession(models.Model):
    """A signed-in contact's session, named by its own cookie (never the staff one)."""

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="sessions")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("portal session")
        verbose_name_plural = _("portal sessions")

    def __str__(self) -> str:
        return f"{self.access_id} {self.digest[:8]}…"


class Acceptance(models.Model):
    """Evidence that a person accepted a document online: who, when, from where, and
    the SHA-256 of the exact PDF shown; the PDF kept with an evidence page appended.
    Any kind of document (a mandate, an engagement letter) is its target."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    target_type = models.CharField(max_length=100)  # app_label.model_name
    target_id = models.CharField(max_length=40)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("contact")
    )
    # Kept as they were: the contact may change or go.
    contact_email = models.EmailField(_("e-mail"))
    signer_name = models.CharField(_("name typed"), max_length=200)
    accepted_at = models.DateTimeField(_("accepted"))
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("browser"), max_length=400, blank=True)
    document_sha256 = models.CharField(_("SHA-256 of the document shown"), max_length=64)
    signed_pdf = models.BinaryField(_("signed PDF"))

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["-accepted_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="acceptance_target_idx")]

    def __str__(self) -> str:
        return f"{self.target_type} {self.target_id} ({self.signer_name})"
