"""Money coming back: payments from clients and what they pay.

A payment belongs to a client and is allocated to finalized invoices of that
client; what is not allocated is the client's credit, to be allocated to later
invoices or refunded. Each allocation lowers the invoice's `balance` in the same
transaction, under the invoice's row lock (see actions.py). The database keeps the
two sums honest on its own: a payment's unallocated remainder and an invoice's
balance can never go below zero, whatever two people do at the same moment.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.clients.models import Client
from facturier.core.models import CheckedText
from facturier.core.validators import validate_currency
from facturier.firms.models import Firm
from facturier.invoicing.models import Invoice

AMOUNT = {"max_digits": 14, "decimal_places": 2}


class Payment(CheckedText):
    class Method(models.TextChoices):
        TRANSFER = "transfer", pgettext_lazy("payment method", "Bank transfer")
        CHEQUE = "cheque", pgettext_lazy("payment method", "Cheque")
        CARD = "card", pgettext_lazy("payment method", "Card")
        DIRECT_DEBIT = "direct_debit", pgettext_lazy("payment method", "Direct debit")
        CASH = "cash", pgettext_lazy("payment method", "Cash")

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="payments"
    )
    received_on = models.DateField(_("date received"))
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    method = models.CharField(_("method"), max_length=20, choices=Method, default=Method.TRANSFER)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    # What is not allocated to an invoice nor refunded yet: the client's credit.
    unallocated = models.DecimalField(_("unallocated"), **AMOUNT, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unallocated__gte=0, unallocated__lte=models.F("amount")),
                name="payment_unallocated_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["firm", "-received_on", "-id"], name="payment_list_idx"),
            models.Index(
                fields=["client"],
                condition=models.Q(unallocated__gt=0),
                name="payment_credit_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount} {self.currency} ({self.client_id})"


class Allocation(models.Model):
    """Part of the client's money applied to one invoice, or refunded (no invoice).

    The money is a payment's, or the credit a credit note left once its own invoice
    was settled (exactly one of the two).
    """

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_allocations",
        limit_choices_to={"kind": "credit_note"},
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    amount = models.DecimalField(_("amount"), **AMOUNT)
    # The day the money counts for the invoice: the payment's date, or the day a credit
    # was applied or refunded later. Aging as of a past date reads it.
    on = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="allocation_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(payment__isnull=False, credit_note__isnull=True)
                | models.Q(payment__isnull=True, credit_note__isnull=False),
                name="allocation_has_one_source",
            ),
        ]

    def __str__(self) -> str:
        target = f"invoice {self.invoice_id}" if self.invoice_id else "refund"
        source = (
            f"payment {self.payment_id}" if self.payment_id else f"credit {self.credit_note_id}"
        )
        return f"{self.amount} of {source} to {target}"


class BankStatement(models.Model):
    """A bank statement file imported once; its credit lines wait to be confirmed."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", "ISO 20022 camt.053"
        CSV = "csv", "CSV"

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    imported_at = models.DateTimeField(_("imported"))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.filename or f"#{self.pk}"


class StatementLine(models.Model):
    """One credit on the bank account, and what it became: a payment, or nothing."""

    class Match(models.TextChoices):
        NUMBER = "number", _("invoice number in the transfer's text")
        AMOUNT = "amount", _("exact amount of an open invoice")
        NONE = "", _("no match")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("to confirm")
        CONFIRMED = "confirmed", _("recorded as a payment")
        IGNORED = "ignored", _("ignored")

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField(_("line"))
    booked_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3)
    label = models.CharField(_("label"), max_length=500, blank=True)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    debtor_name = models.CharField(_("payer"), max_length=200, blank=True)
    debtor_iban = models.CharField(_("payer's IBAN"), max_length=34, blank=True)
    # The same line in a later import is recognised by this and not imported again.
    key = models.CharField(max_length=220)
    state = models.CharField(max_length=10, choices=State, default=State.PROPOSED)
    match = models.CharField(max_length=10, choices=Match, blank=True, default=Match.NONE)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="statement_line"
    )

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "line"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "key"], name="statement_line_once_per_firm")
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.currency} {self.label[:40]}"


class CsvMapping(models.Model):
    """How a firm's bank writes its CSV statements: which column is which."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="csv_mapping")
    date = models.CharField(_("date column"), max_length=100, default="Date")
    amount = models.CharField(_("amount column"), max_length=100, default="Amount")
    label = models.CharField(_("label column"), max_length=100, default="Label")
    reference = models.CharField(_("reference column"), max_length=100, blank=True)
    date_format = models.CharField(
        _("date format"), max_length=20, default="%d/%m/%Y", help_text="e.g. %d/%m/%Y"
    )
    decimal_comma = models.BooleanField(_("amounts use a decimal comma"), default=True)

    class Meta:
        verbose_name = _("CSV column mapping")
        verbose_name_plural = _("CSV column mappings")

    def __str__(self) -> str:
        return f"CSV mapping of {self.firm_id}"

    def as_mapping(self) -> dict[str, str]:
        return {
            "date": self.date,
            "amount": self.amount,
            "label": self.label,
            "reference": self.reference,
            "date_format": self.date_format,
            "decimal_comma": "1" if self.decimal_comma else "",
        }
