"""Sending invoices through an approved e-invoicing platform (plateforme agréée), as
the French reform asks for business-to-business sales, and what the platform says
happened to them since (the lifecycle statuses of the CDAR messages)."""

import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.core.models import CheckedText
from facturier.firms.models import Firm
from facturier.invoicing.models import Invoice
from facturier.outbox.models import Delivery


def new_webhook_key() -> str:
    return secrets.token_urlsafe(32)


class VatRegime(models.TextChoices):
    """The firm's VAT regime: it sets how often sales and payments are e-reported."""

    NORMAL_MONTHLY = "normal_monthly", _("Normal, monthly returns")
    NORMAL_QUARTERLY = "normal_quarterly", _("Normal, quarterly returns")
    SIMPLIFIED = "simplified", _("Simplified")
    FRANCHISE = "franchise", _("VAT franchise (art. 293 B)")


class Platform(CheckedText):
    """A firm's account with its approved platform (AFNOR XP Z12-013 Flow Service)."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="platform")
    base_url = models.URLField(
        _("platform address"),
        help_text=_("The Flow Service's address, e.g. https://api.flow.example/flow-service"),
    )
    token_url = models.URLField(
        _("token address"), help_text=_("Where access tokens are asked for (OAuth 2)")
    )
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret = models.CharField(_("client secret"), max_length=500)
    route_b2b = models.BooleanField(
        _("send French business invoices through the platform"),
        default=True,
        help_text=_(
            "On: finalized invoices to businesses are deposited with the platform (invoices "
            "to French ones for delivery, to those abroad for e-reporting); their e-mail is "
            "a courtesy copy."
        ),
    )
    # The secret part of the address the platform calls when a flow changes (annex A's
    # webhook): whoever knows it may only make us read the platform sooner.
    webhook_key = models.CharField(
        max_length=64, unique=True, default=new_webhook_key, editable=False
    )
    # E-reporting: the platform's number with the tax administration (it sends the
    # firm's reports on), the regime that sets their rhythm, and the first day reported.
    registration = models.CharField(
        _("platform's registration number"),
        max_length=4,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9]{4}$",
                _("Four letters or digits, as the platform's registration says."),
                code="invalid_registration",
            )
        ],
        help_text=_("Four characters, as the tax administration registered the platform."),
    )
    vat_regime = models.CharField(
        _("VAT regime"), max_length=20, choices=VatRegime, default=VatRegime.NORMAL_MONTHLY
    )
    reports_from = models.DateField(
        _("e-reporting from"),
        null=True,
        blank=True,
        help_text=_("The first day whose sales and payments are e-reported; empty: none."),
    )
    # The platform's clock, not ours: where the next search for lifecycle flows starts.
    statuses_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("e-invoicing platform")
        verbose_name_plural = _("e-invoicing platforms")

    def __str__(self) -> str:
        return self.base_url


class ProcessingRule(models.TextChoices):
    B2B = "B2B", _("French business (e-invoicing)")
    B2B_INT = "B2BInt", _("business abroad (e-reporting)")


class Transmission(Delivery):
    """One flow deposited with the platform: an invoice, or the "Encaissée" status of
    money received on it (one per allocation of a payment: see collected.py). The
    tracking id is ours and never changes, so a retry after a lost answer finds the
    flow the platform already has instead of sending a second one; an invoice is
    deposited once, and each amount received is reported once."""

    class Document(models.TextChoices):
        INVOICE = "invoice", pgettext_lazy("document", "Invoice")
        PAID = "paid", _("payment received status")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="transmissions")
    document = models.CharField(max_length=8, choices=Document, default=Document.INVOICE)
    processing_rule = models.CharField(max_length=8, choices=ProcessingRule)
    tracking_id = models.CharField(max_length=36, unique=True)
    flow_id = models.CharField(_("flow"), max_length=36, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # A "payment received" status: the allocation it reports (kept as reported when the
    # allocation is removed later), and what it says: amount, currency, date, per VAT rate.
    allocation = models.ForeignKey(
        "receivables.Allocation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    collected = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("requested"))
    deposited_at = models.DateTimeField(_("deposited"), null=True, blank=True)
    # The latest lifecycle status, for the Invoices tab's filter (the history is below).
    last_status = models.CharField(_("e-invoicing status"), max_length=3, blank=True)
    last_status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("platform transmission")
        verbose_name_plural = _("platform transmissions")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(document="invoice"),
                name="one_deposit_per_invoice",
            ),
            models.UniqueConstraint(fields=["allocation"], name="one_status_per_allocation"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="transmission_due_idx"),
            models.Index(fields=["firm", "last_status"], name="transmission_status_idx"),
        ]

    def __str__(self) -> str:
        return self.tracking_id

    @property
    def last_status_label(self) -> str:
        """The latest lifecycle status in words (Déposée, Approuvée, ...)."""
        return str(Lifecycle(self.last_status).label) if self.last_status else ""


class Lifecycle(models.TextChoices):
    """The lifecycle statuses of an invoice (CDAR, French CTC), by their codes."""

    DEPOSITED = "200", _("Deposited")
    ISSUED = "201", _("Issued")
    RECEIVED = "202", _("Received")
    MADE_AVAILABLE = "203", _("Made available")
    IN_HAND = "204", _("Taken in hand")
    APPROVED = "205", _("Approved")
    PARTLY_APPROVED = "206", _("Partly approved")
    DISPUTED = "207", _("Disputed")
    SUSPENDED = "208", _("Suspended")
    COMPLETED = "209", _("Completed")
    REFUSED = "210", _("Refused")
    PAYMENT_SENT = "211", _("Payment sent")
    PAID = "212", _("Payment received")
    REJECTED = "213", _("Rejected")


# A refused or rejected invoice needs someone: usually a credit note and a new invoice.
NEEDS_ACTION = frozenset({Lifecycle.REFUSED, Lifecycle.REJECTED})


class LifecycleStatus(models.Model):
    """One status the platform reported for a transmitted invoice, with its date and
    reason; each lifecycle flow is stored once, however often it is read."""

    transmission = models.ForeignKey(
        Transmission, on_delete=models.CASCADE, related_name="statuses"
    )
    code = models.CharField(_("status"), max_length=3, choices=Lifecycle)
    at = models.DateTimeField(_("date"))
    reason = models.TextField(_("reason"), blank=True)
    source_flow = models.CharField(max_length=36)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lifecycle status")
        verbose_name_plural = _("lifecycle statuses")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transmission", "source_flow", "code"], name="status_stored_once"
            )
        ]

    def __str__(self) -> str:
        return self.get_code_display()


class Installation(models.Model):
    """This installation of facturier, as the platform tells it from any other: a key
    minted once (when the database is made, or on first use), part of every tracking
    id we give a flow. Two installations, or a database made anew, against one
    platform account never take each other's flows for their own."""

    key = models.CharField(max_length=8, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="one_installation")]

    def __str__(self) -> str:
        return self.key


class EReport(Delivery):
    """One e-reporting file deposited with the platform: a period's sales to private
    persons, or the money received on services in a period (frr.py). Version 1 is the
    period's report; a correction is the whole period again, version 2 and on, asked
    for by a person. The database holds one per firm, kind, period and version."""

    class Kind(models.TextChoices):
        TRANSACTIONS = "transactions", _("Sales")
        PAYMENTS = "payments", _("Payments received")

    class Answer(models.TextChoices):
        WAITING = "", _("waiting")
        ACCEPTED = "Ok", _("accepted")
        REJECTED = "Error", _("rejected")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    version = models.PositiveSmallIntegerField(default=1)
    content = models.BinaryField()
    # What the page shows without reading the file: lines, and totals per currency.
    summary = models.JSONField(default=dict)
    tracking_id = models.CharField(max_length=36, unique=True)
    flow_id = models.CharField(_("flow"), max_length=36, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    reason = models.CharField(_("reason for the correction"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("built"))
    deposited_at = models.DateTimeField(_("deposited"), null=True, blank=True)
    answer = models.CharField(_("platform's answer"), max_length=5, choices=Answer, blank=True)
    answer_reasons = models.TextField(blank=True)

    class Meta:
        verbose_name = _("e-reporting file")
        verbose_name_plural = _("e-reporting files")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "kind", "start", "version"], name="one_report_per_period"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="ereport_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.start}..{self.end} v{self.version}"
