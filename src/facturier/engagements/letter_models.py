"""The engagement letter (lettre de mission): the firm's letter templates, each letter
made from one for an engagement's version, and the letter's e-mails through the outbox.

A letter is made for one version of its engagement (unique): an amendment makes the
next version, which needs a letter of its own; the older one stays as it was.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.core.models import CheckedText
from facturier.firms.models import Firm
from facturier.outbox.models import Delivery

from .models import Engagement

LETTER_LANGUAGES = [("fr", "Français"), ("en", "English")]
MAX_BODY = 20000


class LetterTemplate(CheckedText):
    """A firm's engagement letter text, in one language, with placeholders."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    language = models.CharField(_("language"), max_length=2, choices=LETTER_LANGUAGES)
    body = models.TextField(_("text"), max_length=MAX_BODY)
    general_terms = models.TextField(_("general terms"), max_length=MAX_BODY, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="letter_template_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class LetterStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("engagement letter", "draft")
    SENT = "sent", pgettext_lazy("engagement letter", "sent")
    SIGNED = "signed", pgettext_lazy("engagement letter", "signed")
    ACTIVE = "active", pgettext_lazy("engagement letter", "active")
    ENDED = "ended", pgettext_lazy("engagement letter", "ended")


class EngagementLetter(models.Model):
    """The letter of one version of an engagement, its PDF as made, its signed copy."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="letters")
    version = models.PositiveIntegerField(_("version"))
    template = models.ForeignKey(
        LetterTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=2, choices=LETTER_LANGUAGES)
    status = models.CharField(
        _("status"), max_length=10, choices=LetterStatus.choices, default=LetterStatus.DRAFT
    )
    day = models.DateField(_("date"))
    pdf = models.BinaryField()
    signed_pdf = models.BinaryField(null=True, blank=True)
    signed_filename = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    activated_at = models.DateTimeField(_("active since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("engagement letter")
        verbose_name_plural = _("engagement letters")
        ordering = ["-version", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "version"], name="engagement_letter_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.engagement} v{self.version}"

    @property
    def filename(self) -> str:
        return f"{self.engagement.reference}-v{self.version}.pdf"

    @property
    def is_current(self) -> bool:
        return self.version == self.engagement.version


class EngagementLetterEmail(Delivery):
    """One e-mail of an engagement letter, with its PDF, through the outbox."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    letter = models.ForeignKey(EngagementLetter, on_delete=models.PROTECT, related_name="emails")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to = models.JSONField(_("to"))
    cc = models.JSONField(_("cc"), default=list, blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("message"))
    language = models.CharField(max_length=2, default="fr")
    message_id = models.CharField(max_length=250, unique=True)
    refused = models.JSONField(_("refused recipients"), default=dict, blank=True)
    created_at = models.DateTimeField(_("requested"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("engagement letter e-mail")
        verbose_name_plural = _("engagement letter e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="engagement_letter_due_idx")
        ]

    def __str__(self) -> str:
        return f"{self.letter} → {', '.join(self.to)} ({self.status})"
