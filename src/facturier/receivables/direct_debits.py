"""SEPA direct debit: the firm's creditor settings, its clients' mandates, the debits
scheduled on invoices and the batches (pain.008 files) they leave in.

One debit per invoice and due date, held by a unique constraint, so two people (or
one person twice) can never schedule the same collection twice. A batch takes the
scheduled debits under their row locks and marks them sent: a second export finds
none left.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.clients.models import Client
from facturier.core.identifiers import clean_bic, clean_creditor_id, clean_iban
from facturier.core.models import CheckedText
from facturier.firms.models import Firm
from facturier.invoicing.models import Invoice
from facturier.outbox.models import Delivery

AMOUNT = {"max_digits": 14, "decimal_places": 2}
# A mandate with no collection for this long lapses (SEPA rulebook: 36 months).
EXPIRY_YEARS = 3


def lapses_on(since: datetime.date) -> datetime.date:
    try:
        return since.replace(year=since.year + EXPIRY_YEARS)
    except ValueError:  # 29 February
        return since.replace(year=since.year + EXPIRY_YEARS, day=28)


class Scheme(models.TextChoices):
    CORE = "CORE", pgettext_lazy("SEPA scheme", "Core (every debtor)")
    B2B = "B2B", pgettext_lazy("SEPA scheme", "B2B (business debtors who agreed)")


class PainVersion(models.TextChoices):
    V02 = "pain.008.001.02", _("pain.008.001.02 (most banks)")
    V08 = "pain.008.001.08", _("pain.008.001.08 (when the bank asks for it)")


def _check_bank(instance, fields: dict) -> None:
    errors = {}
    for field, check in fields.items():
        try:
            setattr(instance, field, check(getattr(instance, field)))
        except ValidationError as exc:
            errors[field] = [exc]
    if errors:
        raise ValidationError(errors)


class SepaSettings(CheckedText):
    """The firm as a direct-debit creditor."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="sepa")
    creditor_id = models.CharField(
        _("SEPA creditor identifier (ICS)"),
        max_length=35,
        blank=True,
        help_text=_("Given by the firm's bank, e.g. FR72ZZZ123456."),
    )
    iban = models.CharField(_("collection IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("collection BIC"), max_length=11, blank=True)
    prenotification_days = models.PositiveSmallIntegerField(
        _("pre-notification delay (days)"),
        default=14,
        validators=[MaxValueValidator(60)],
        help_text=_("How long before a collection the client is told of it."),
    )
    scheme = models.CharField(_("scheme"), max_length=4, choices=Scheme, default=Scheme.CORE)
    pain_version = models.CharField(
        _("pain.008 version"),
        max_length=15,
        choices=PainVersion,
        default=PainVersion.V02,
        help_text=_("The version of the batch file the firm's bank takes."),
    )

    class Meta:
        verbose_name = _("SEPA direct-debit settings")
        verbose_name_plural = _("SEPA direct-debit settings")

    def __str__(self) -> str:
        return f"SEPA settings of {self.firm_id}"

    def check_fields(self, exclude=None) -> None:
        _check_bank(self, {"creditor_id": clean_creditor_id, "iban": clean_iban, "bic": clean_bic})

    @property
    def complete(self) -> bool:
        return bool(self.creditor_id and self.iban and self.bic)


class Mandate(CheckedText):
    """A client's authorisation to debit its account (identified by its RUM)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("mandate status", "Pending signature")
        ACTIVE = "active", pgettext_lazy("mandate status", "Active")
        SUSPENDED = "suspended", pgettext_lazy("mandate status", "Suspended")
        REVOKED = "revoked", pgettext_lazy("mandate status", "Revoked")
        # Never stored: an active mandate 36 months without a collection reads so.
        EXPIRED = "expired", pgettext_lazy("mandate status", "Expired")

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="mandates"
    )
    reference = models.CharField(
        _("mandate reference (RUM)"),
        max_length=35,
        help_text=_("Letters, digits and + ? / - : ( ) . , ' and spaces; unique in the firm."),
    )
    debtor_name = models.CharField(_("debtor name"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    signed_on = models.DateField(_("signature date"), null=True, blank=True)
    signed_at = models.CharField(_("place of signature"), max_length=100, blank=True)
    recurrent = models.BooleanField(
        _("recurrent"), default=True, help_text=_("Off: a one-off mandate, used once.")
    )
    scheme = models.CharField(_("scheme"), max_length=4, choices=Scheme, default=Scheme.CORE)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, editable=False
    )
    last_collected_on = models.DateField(_("last collection"), null=True, editable=False)
    created_at = models.DateTimeField(_("created"), editable=False)

    class Meta:
        verbose_name = _("direct-debit mandate")
        verbose_name_plural = _("direct-debit mandates")
        ordering = ["client_id", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "reference"], name="mandate_reference_unique")
        ]

    def __str__(self) -> str:
        return self.reference

    def check_fields(self, exclude=None) -> None:
        _check_bank(self, {"iban": clean_iban, "bic": clean_bic})

    def current_status(self, today: datetime.date) -> str:
        """The status as the user reads it: an active mandate lapses 36 months after its
        last collection (or its signature, when it never collected)."""
        since = self.last_collected_on or self.signed_on
        if self.status == self.Status.ACTIVE and since and lapses_on(since) < today:
            return self.Status.EXPIRED
        return self.status

    def current_status_label(self, today: datetime.date) -> str:
        return str(self.Status(self.current_status(today)).label)


class DebitBatch(models.Model):
    """One pain.008 file, as it was handed to the bank."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(_("message id"), max_length=35)
    created_at = models.DateTimeField(_("exported"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    count = models.PositiveIntegerField(_("debits"))
    control_sum = models.DecimalField(_("total"), **AMOUNT)
    xml = models.BinaryField(_("pain.008 file"))

    class Meta:
        verbose_name = _("direct-debit batch")
        verbose_name_plural = _("direct-debit batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message_id


class Debit(models.Model):
    """An invoice's collection on its due date under a mandate."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("debit status", "Scheduled")
        SENT = "sent", pgettext_lazy("debit status", "Sent to bank")
        SETTLED = "settled", pgettext_lazy("debit status", "Settled")
        RETURNED = "returned", pgettext_lazy("debit status", "Returned")

    class Sequence(models.TextChoices):
        FIRST = "FRST", pgettext_lazy("debit sequence", "First")
        RECURRENT = "RCUR", pgettext_lazy("debit sequence", "Recurrent")
        ONE_OFF = "OOFF", pgettext_lazy("debit sequence", "One-off")

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="debits"
    )
    mandate = models.ForeignKey(
        Mandate, verbose_name=_("mandate"), on_delete=models.PROTECT, related_name="debits"
    )
    due_date = models.DateField(_("collection date"))
    amount = models.DecimalField(_("amount"), **AMOUNT)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.SCHEDULED)
    # Set when the batch is built: FRST only for a mandate's first collection.
    sequence = models.CharField(_("sequence type"), max_length=4, choices=Sequence, blank=True)
    batch = models.ForeignKey(
        DebitBatch, on_delete=models.PROTECT, related_name="debits", null=True, blank=True
    )
    scheduled_at = models.DateTimeField(_("scheduled"))
    # The payment the bank's settlement of the debit was recorded as (camt.053).
    payment = models.ForeignKey(
        "receivables.Payment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The ISO reason code of the bank's R-transaction (AC04, AM04, MD01, MD06, MS02...).
    return_reason = models.CharField(_("return reason"), max_length=4, blank=True)

    class Meta:
        verbose_name = _("direct debit")
        verbose_name_plural = _("direct debits")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "due_date"], name="debit_once_per_invoice_and_date"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="debit_amount_positive"),
        ]
        indexes = [models.Index(fields=["firm", "status", "due_date"], name="debit_queue_idx")]

    def __str__(self) -> str:
        return f"{self.invoice_id} on {self.due_date}"


class DebitNotice(Delivery):
    """The pre-notification of a debit (amount, date, mandate reference, creditor id)
    e-mailed to the client's billing contact, in the client's language, through the
    outbox."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    debit = models.ForeignKey(Debit, on_delete=models.PROTECT, related_name="notices")
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
        verbose_name = _("direct-debit pre-notification")
        verbose_name_plural = _("direct-debit pre-notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="debit_notice_due_idx")]

    def __str__(self) -> str:
        return f"{self.debit} → {', '.join(self.to)} ({self.status})"
