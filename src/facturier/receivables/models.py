"""Money coming back: payments from clients and what they pay.

A payment belongs to a client and is allocated to finalized invoices of that
client; what is not allocated is the client's credit, to be allocated to later
invoices or refunded. Each allocation lowers the invoice's `balance` in the same
transaction, under the invoice's row lock (see actions.py). The database keeps the
two sums honest on its own: a payment's unallocated remainder and an invoice's
balance can never go below zero, whatever two people do at the same moment.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.clients.models import Client
from facturier.core.models import CheckedText
from facturier.core.validators import validate_currency
from facturier.firms.models import Firm
from facturier.invoicing.models import Invoice
from facturier.outbox.models import Delivery

from .bank_files import Skip

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
    """A bank file imported once: every transaction of it is a line, but for those an
    earlier file brought (listed in `duplicates`); its credits wait to be confirmed."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", "ISO 20022 camt.053"
        CAMT052 = "camt052", "ISO 20022 camt.052"
        CAMT054 = "camt054", "ISO 20022 camt.054"
        MT940 = "mt940", "SWIFT MT940"
        CSV = "csv", "CSV"

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    imported_at = models.DateTimeField(_("imported"))
    # What the file held: its transactions (lines, duplicates) and the entries (a batch
    # entry holds several transactions) they came in.
    transactions = models.PositiveIntegerField(_("transactions"), default=0)
    entries = models.PositiveIntegerField(pgettext_lazy("bank file", "entries"), default=0)
    # The file's transactions an earlier file brought: [{"line", "entry", "amount",
    # "currency", "statement", "statement_line", "filename"}], by line.
    duplicates = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.filename or f"#{self.pk}"

    def summary(self) -> dict[str, int]:
        """What became of the file's transactions; imported, set aside and duplicates
        add up to the file's count."""
        kept = dict(
            self.lines.order_by()
            .values_list("skip")
            .annotate(count=models.Count("id"))
            .values_list("skip", "count")
        )
        set_aside = sum(count for skip, count in kept.items() if skip)
        return {
            "transactions": self.transactions,
            "entries": self.entries,
            "imported": kept.get("", 0),
            "set_aside": set_aside,
            "duplicates": len(self.duplicates),
        }


class StatementLine(models.Model):
    """One transaction of a bank file, and what it became: a payment, nothing, or,
    for one that is not money received (a debit, a return...), the reason it is set
    aside."""

    class Match(models.TextChoices):
        REFERENCE = "reference", _("payment reference in the transfer's text")
        NUMBER = "number", _("invoice number in the transfer's text")
        AMOUNT = "amount", _("exact amount of an open invoice")
        DEBIT = "debit", _("direct debits the bank collected")
        NONE = "", _("no match")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("to confirm")
        CONFIRMED = "confirmed", _("recorded as a payment")
        IGNORED = "ignored", _("ignored")
        SKIPPED = "skipped", _("not money received")
        UNDONE = "undone", _("payment cancelled")

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField(_("line"))
    entry = models.PositiveIntegerField(pgettext_lazy("bank file", "entry"), default=0)
    booked_on = models.DateField(_("date"))
    # As booked on the account, in its currency; negative for money paid out.
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3)
    instructed_amount = models.DecimalField(_("amount instructed"), null=True, blank=True, **AMOUNT)
    instructed_currency = models.CharField(_("currency instructed"), max_length=3, blank=True)
    bank_reference = models.CharField(_("bank's reference"), max_length=200, blank=True)
    skip = models.CharField(_("set aside as"), max_length=12, choices=Skip, blank=True)
    skip_detail = models.CharField(_("bank's reason"), max_length=200, blank=True)
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
    # For a return: the line, recorded as a payment, whose money the bank sent back.
    returns = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="returned_by"
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

    class Standing(models.TextChoices):
        OPEN = "open", _("still owed")
        CLOSED = "closed", _("closed by hand, still owing")
        SETTLED = "settled", _("already settled")

    @property
    def invoice_standing(self) -> str:
        """Where the proposed invoice stands now: still owed, closed by hand while it
        still owes, or settled already; "" without an invoice."""
        invoice = self.invoice
        if invoice is None:
            return ""
        if invoice.balance <= 0:
            return self.Standing.SETTLED
        if invoice.status == "closed":
            return self.Standing.CLOSED
        return self.Standing.OPEN

    def get_invoice_standing_display(self) -> str:
        standing = self.invoice_standing
        return str(self.Standing(standing).label) if standing else ""


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


class ReminderLevel(models.Model):
    """A step of the firm's dunning: so many days from the due date, and what it says.

    Levels are ordered by their day; an invoice gets each level at most once (see
    ReminderItem), and never a level below one it already had.
    """

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="reminder_levels")
    days = models.SmallIntegerField(
        _("days after the due date"), help_text=_("Negative: before the due date.")
    )
    subject_fr = models.CharField(_("subject (French)"), max_length=250)
    message_fr = models.TextField(_("message (French)"))
    subject_en = models.CharField(_("subject (English)"), max_length=250)
    message_en = models.TextField(_("message (English)"))
    attach_invoice = models.BooleanField(_("attach the invoice PDF"), default=True)

    class Meta:
        verbose_name = _("reminder level")
        verbose_name_plural = _("reminder levels")
        ordering = ["firm", "days"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "days"], name="reminder_level_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.days:+d}"

    def texts(self, language: str) -> tuple[str, str]:
        if language == "en":
            return self.subject_en, self.message_en
        return self.subject_fr, self.message_fr


class ReminderPause(models.Model):
    """No reminder for this client, or for this invoice, until the pause is lifted."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_pause"
    )
    invoice = models.OneToOneField(
        Invoice, on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_pause"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    paused_at = models.DateTimeField()

    class Meta:
        verbose_name = _("reminder pause")
        verbose_name_plural = _("reminder pauses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client__isnull=False, invoice__isnull=True)
                | models.Q(client__isnull=True, invoice__isnull=False),
                name="reminder_pause_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"pause of {self.client_id or self.invoice_id}"


class Letter(Delivery):
    """A letter to a client e-mailed through the outbox: a payment reminder or a
    statement of account. The PDF is made when the letter is asked for, so what the
    client reads is what was decided then, however late the e-mail leaves."""

    class Purpose(models.TextChoices):
        REMINDER = "reminder", _("payment reminder")
        STATEMENT = "statement", _("statement of account")

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="letters")
    purpose = models.CharField(_("letter"), max_length=10, choices=Purpose)
    day = models.DateField(_("date"))
    # None: the worker's periodic pass sent it on the firm's behalf.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    to = models.JSONField(_("to"))
    cc = models.JSONField(_("cc"), default=list, blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("message"))
    language = models.CharField(max_length=2, default="fr")
    message_id = models.CharField(max_length=250, unique=True)
    pdf = models.BinaryField()
    filename = models.CharField(max_length=120)
    attach_invoices = models.BooleanField(default=False)
    refused = models.JSONField(_("refused recipients"), default=dict, blank=True)
    created_at = models.DateTimeField(_("requested"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="letter_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.day} → {', '.join(self.to)} ({self.status})"


class ReminderItem(models.Model):
    """One invoice in a reminder letter, at one level, with what the letter said of it.

    Unique per invoice and level: two workers passing at the same moment cannot
    remind an invoice twice at the same level (the second insert fails and its
    whole letter is dropped)."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    level = models.ForeignKey(ReminderLevel, on_delete=models.PROTECT, related_name="+")
    days_late = models.IntegerField(_("days late"))
    balance = models.DecimalField(_("balance"), **AMOUNT)
    interest = models.DecimalField(_("late-payment interest"), **AMOUNT)
    indemnity = models.DecimalField(_("recovery indemnity"), **AMOUNT)

    class Meta:
        verbose_name = _("reminded invoice")
        verbose_name_plural = _("reminded invoices")
        ordering = ["letter", "invoice__due_date", "invoice"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="reminder_level_once")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} at level {self.level_id}"


class LedgerAccounts(models.Model):
    """The firm's chart of accounts for the accountant's exports (FEC)."""

    # The journals' and accounts' codes, as the FEC writes them.
    CODES = (
        "sales_journal",
        "bank_journal",
        "client_account",
        "revenue_account",
        "vat_account",
        "bank_account",
        "exchange_loss_account",
        "exchange_gain_account",
    )

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="ledger")
    sales_journal = models.CharField(_("sales journal code"), max_length=10, default="VT")
    bank_journal = models.CharField(_("bank journal code"), max_length=10, default="BQ")
    client_account = models.CharField(_("clients account"), max_length=20, default="411000")
    revenue_account = models.CharField(_("revenue account"), max_length=20, default="706000")
    vat_account = models.CharField(
        _("VAT collected account"),
        max_length=20,
        default="445710",
        help_text=_("One line per VAT rate, on this account unless the rate has its own."),
    )
    # {"20.00": "445712", ...}: a rate's own VAT account, when the firm keeps one per rate.
    vat_accounts = models.JSONField(_("VAT account per rate"), default=dict, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=20, default="512000")
    # Where a settled foreign-currency account leaves a difference in euros.
    exchange_loss_account = models.CharField(
        _("exchange loss account"), max_length=20, default="666000"
    )
    exchange_gain_account = models.CharField(
        _("exchange gain account"), max_length=20, default="766000"
    )
    fiscal_year_start = models.PositiveSmallIntegerField(
        _("first month of the fiscal year"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )

    class Meta:
        db_table = "receivables_ledger"  # the table keeps the model's first name
        verbose_name = _("ledger accounts")
        verbose_name_plural = _("ledger accounts")

    def __str__(self) -> str:
        return f"ledger of {self.firm_id}"


from .direct_debits import (  # noqa: E402, F401
    Debit,
    DebitBatch,
    DebitNotice,
    Mandate,
    SepaSettings,
)
