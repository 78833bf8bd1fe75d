"""What every delivery has, whatever it carries (an e-mail now; reminders and
e-invoicing platform flows next): a status, bounded attempts, a due time and a
lease. Each kind of delivery is a concrete model of its app built on this one."""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    """Where a delivery of any kind stands."""

    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    RETRYING = "retrying", _("retrying")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)

    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last answer"), blank=True)
    # The same answer in every language the app speaks ({"en": ..., "fr": ...}): the
    # worker cannot know who will read it, so a page shows its reader's (`said`).
    last_error_texts = models.JSONField(default=dict, blank=True)
    # Set while a failure of the firm's own configuration holds the delivery (kept from
    # the first such try, so people read since when); cleared by any other outcome.
    held_since = models.DateTimeField(_("held since"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def said(self) -> str:
        """The last answer in the active language, as far as it was written in it."""
        return self.last_error_texts.get(translation.get_language() or "", self.last_error)

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    @property
    def is_held(self) -> bool:
        return self.held_since is not None and self.status == DeliveryStatus.RETRYING
