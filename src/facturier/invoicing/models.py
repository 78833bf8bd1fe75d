from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.clients.models import Client
from facturier.core import money
from facturier.core.errors import Frozen
from facturier.core.models import CheckedText
from facturier.core.validators import validate_currency
from facturier.firms.models import Firm
from facturier.outbox.models import Delivery, DeliveryStatus

from .lifecycle import InvoiceStatus

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
# The largest number a sequence gives: beyond it the counter would leave the range
# both databases store (a signed 64-bit integer), so finalizing refuses instead.
MAX_NUMBER = 10**18
STATUS_LABELS = dict(InvoiceStatus.choices)
# A firm gives each number once, whatever the series (see actions.invoices._number_clash).
NUMBER_CONSTRAINT = "invoice_number_unique_per_firm"


class Series(models.TextChoices):
    """The numbering series a finalized document takes its number from."""

    INVOICES = "invoice", _("invoices")
    CREDIT_NOTES = "credit_note", _("credit notes")


class InvoiceSequence(CheckedText):
    """A firm's numbering of one series: the next number and how numbers look.

    One counter per firm and series (invoices; credit notes, unless the firm numbers
    them with its invoices), never reset: numbers stay consecutive across years
    even when the prefix shows the year. Locked by the finalizing transaction (see
    numbering.py).
    """

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="invoice_sequences")
    series = models.CharField(
        _("series"), max_length=20, choices=Series, default=Series.INVOICES, editable=False
    )
    prefix = models.CharField(
        _("number prefix"),
        max_length=30,
        blank=True,
        help_text=_("May use {year}, e.g. F{year}-"),
    )
    padding_char = models.CharField(_("padding symbol"), max_length=1, default="0", blank=True)
    padding_length = models.PositiveSmallIntegerField(
        _("padding length"), default=7, validators=[MaxValueValidator(20)]
    )
    next_number = models.PositiveBigIntegerField(
        _("next number"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_NUMBER)],
    )

    class Meta:
        verbose_name = _("invoice numbering")
        verbose_name_plural = _("invoice numbering")
        constraints = [
            models.UniqueConstraint(fields=["firm", "series"], name="one_sequence_per_series")
        ]

    def __str__(self) -> str:
        return f"{self.firm} ({self.series}): next {self.format(self.next_number, year=2000)}"

    def clean(self) -> None:
        if self.pk:
            current = type(self).objects.filter(pk=self.pk).values_list("next_number", flat=True)
            if current and self.next_number < current[0]:
                # A lower number would be given a second time.
                raise ValidationError(
                    {
                        "next_number": _("The next number cannot go back (it is %(n)s).")
                        % {"n": current[0]}
                    }
                )

    def format(self, number: int, *, year: int) -> str:
        prefix = self.prefix.replace("{year}", f"{year:04d}")
        return prefix + str(number).rjust(self.padding_length, self.padding_char or "0")


class InvoiceTemplate(CheckedText):
    """How an invoice's PDF looks. Finalized invoices keep a snapshot of it."""

    BLOCK_FIELDS = (
        "show_logo",
        "show_firm_address",
        "show_client_address",
        "show_vat_breakdown",
        "show_payment_terms",
        "show_bank_details",
        "show_notes",
        "show_page_numbers",
    )
    # What a user edits, and what a finalized invoice keeps (with the logo).
    SETTINGS_FIELDS = (
        "name",
        "accent_color",
        "font",
        "label_language",
        "paper",
        "header_text",
        "footer_text",
        *BLOCK_FIELDS,
    )

    class Paper(models.TextChoices):
        A4 = "a4", "A4"
        LETTER = "us-letter", "Letter"

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="invoice_templates")
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("firm's default"), default=False)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#1f4e79")
    font = models.CharField(
        _("font"),
        max_length=50,
        default="Inter",
        choices=[(f, f) for f in ("Inter", "Libertinus Serif", "New Computer Modern")],
    )
    label_language = models.CharField(
        _("language of the labels"),
        max_length=2,
        blank=True,
        choices=[("fr", "Français"), ("en", "English")],
        help_text=_("Empty: the client's language."),
    )
    paper = models.CharField(_("paper size"), max_length=10, choices=Paper, default=Paper.A4)
    header_text = models.TextField(_("header text"), blank=True)
    footer_text = models.TextField(_("footer text"), blank=True)
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=True)
    logo_content_type = models.CharField(max_length=50, blank=True)
    show_logo = models.BooleanField(_("logo"), default=True)
    show_firm_address = models.BooleanField(_("firm address"), default=True)
    show_client_address = models.BooleanField(_("client address"), default=True)
    show_vat_breakdown = models.BooleanField(_("VAT breakdown"), default=True)
    show_payment_terms = models.BooleanField(_("payment terms"), default=True)
    show_bank_details = models.BooleanField(_("bank details"), default=True)
    show_notes = models.BooleanField(_("notes"), default=True)
    show_page_numbers = models.BooleanField(_("page numbers"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("invoice template")
        verbose_name_plural = _("invoice templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm"],
                condition=models.Q(is_default=True),
                name="one_default_template_per_firm",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", pgettext_lazy("document", "Invoice")
    CREDIT_NOTE = "credit_note", pgettext_lazy("document", "Credit note")


class Operation(models.TextChoices):
    """What the invoice sells (a mandatory mention since the French e-invoicing reform;
    it gives the billing framework, BT-23: B1 goods, S1 services, M1 both)."""

    GOODS = "goods", _("Goods")
    SERVICES = "services", _("Services")
    MIXED = "mixed", _("Goods and services")


# What French e-invoicing and the legal mentions add to an invoice's content (all
# optional but the nature of the operation, which defaults to services).
MENTION_FIELDS = (
    "operation",
    "supply_date",
    "period_start",
    "period_end",
    "purchase_order",
    "delivery_address",
    "delivery_postal_code",
    "delivery_city",
    "delivery_country",
    "discount_percent",
    "exchange_rate",
)


class Invoice(CheckedText):
    """An invoice, or a credit note (kind) that corrects one: the same lifecycle,
    numbering, PDF, e-invoice and e-mail; a credit note lowers what its invoice owes."""

    CONTENT_FIELDS = frozenset(
        {
            "kind",
            "corrects_id",
            "client_id",
            "currency",
            "issue_date",
            "due_date",
            "payment_terms_days",
            "notes",
            *MENTION_FIELDS,
            "template_id",
            "number",
            "payment_reference",
            "snapshot",
            "total_net",
            "total_vat",
            "total_gross",
            "deposit",
            "prepaid",
        }
    )

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(
        _("document"),
        max_length=12,
        choices=DocumentKind,
        default=DocumentKind.INVOICE,
        editable=False,
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrected invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="credit_notes",
        db_index=False,  # a partial index below: most rows are invoices, not credit notes
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="invoices"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvoiceStatus,
        default=InvoiceStatus.DRAFT,
        editable=False,
    )
    number = models.CharField(_("number"), max_length=50, null=True, blank=True, editable=False)
    # The ISO 11649 reference a transfer quotes (payment_reference.py), given with the number.
    payment_reference = models.CharField(
        _("payment reference"), max_length=25, blank=True, default="", editable=False
    )
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), validators=[MaxValueValidator(365)]
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    notes = models.TextField(_("notes"), blank=True)
    # What French e-invoicing and the legal mentions ask of every invoice.
    operation = models.CharField(
        _("nature of the operation"),
        max_length=8,
        choices=Operation,
        default=Operation.SERVICES,
    )
    supply_date = models.DateField(_("date of supply"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    purchase_order = models.CharField(_("purchase order"), max_length=50, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("delivery postal code"), max_length=20, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country = models.CharField(
        _("delivery country"), max_length=2, blank=True, help_text="ISO 3166-1"
    )
    # A discount on the whole invoice (EN 16931 BG-20), split over its VAT rates.
    discount_percent = models.DecimalField(
        _("invoice discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # EUR for one unit of the invoice's currency, for an invoice not in euros: its
    # VAT is also stated in EUR (French rule BR-FR-CO-12) and its books are in EUR.
    exchange_rate = models.DecimalField(
        _("exchange rate to EUR"),
        max_digits=16,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    template = models.ForeignKey(
        InvoiceTemplate,
        verbose_name=_("invoice template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    total_net = models.DecimalField(_("net"), max_digits=14, decimal_places=2, default=0)
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=0)
    total_gross = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    # What the client still owes: the total at finalization, less the payments allocated
    # to it. Kept by the receivables actions under the invoice's row lock; the database
    # refuses a negative balance, so no race can pay an invoice twice over.
    balance = models.DecimalField(
        _("balance"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    # A finalized credit note: the part applied to its invoice's balance when it was
    # issued, and what is left of it as the client's credit (allocated or refunded later).
    credit_applied = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    credit_left = models.DecimalField(
        _("credit left"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    # Everything the PDF and the e-invoice need, as it was at finalization.
    # Billing from WIP: an interim invoice bills work to date on account and leaves the
    # entries in WIP; the final one bills them and deducts the interims (deducted_by).
    wip_bill = models.CharField(max_length=10, blank=True, default="")
    deducted_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="deducts"
    )
    # A deposit invoice (facture d'acompte, type 386): paid before the work is billed,
    # then deducted by the invoice that bills it (deducted_by), as a paid amount.
    deposit = models.BooleanField(_("deposit invoice"), default=False, editable=False)
    # What the deposit invoices this one deducts were (BT-113): the client owes the
    # total less it (BT-115, the balance at finalization). Set when it is finalized.
    prepaid = models.DecimalField(
        _("deposits deducted"), max_digits=14, decimal_places=2, default=0, editable=False
    )
    # A credit note that gives the corrected invoice's time and expenses back to WIP.
    returns_entries = models.BooleanField(_("return the entries to WIP"), default=False)
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    finalized_at = models.DateTimeField(_("finalized"), null=True, blank=True, editable=False)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True, editable=False)
    sent_count = models.PositiveIntegerField(_("times sent"), default=0, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        permissions = [
            ("process_invoices", "Can process invoices (finalize, send, close, revert)"),
            ("manage_templates", "Can manage invoice templates and invoicing settings"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "number"],
                condition=models.Q(number__isnull=False),
                name=NUMBER_CONSTRAINT,
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", number__isnull=True)
                | (~models.Q(status="draft") & models.Q(number__isnull=False)),
                name="invoice_number_iff_not_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(balance__isnull=True) | models.Q(balance__gte=0),
                name="invoice_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_left__isnull=True) | models.Q(credit_left__gte=0),
                name="credit_left_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", corrects__isnull=True)
                | models.Q(kind="credit_note", corrects__isnull=False),
                name="credit_note_iff_it_corrects_one",
            ),
        ]
        indexes = [
            # The Invoices tab: one status set, newest first.
            models.Index(fields=["firm", "status", "-issue_date", "-id"], name="inv_list_idx"),
            models.Index(fields=["firm", "-issue_date", "-id"], name="inv_list_all_idx"),
            models.Index(fields=["client", "-issue_date", "-id"], name="inv_client_order_idx"),
            # Sorted by due date: read in order, the closed ones skipped, 25 taken.
            models.Index(fields=["firm", "due_date", "-id"], name="inv_list_due_idx"),
            # An invoice's credit notes: only credit notes are in it, so the planner
            # knows it is selective (an index full of NULLs looks useless to SQLite).
            models.Index(
                fields=["corrects", "issue_date"],
                condition=models.Q(corrects__isnull=False),
                name="credit_note_corrects_idx",
            ),
            # A client's credit left on its credit notes (reminders, the Invoices tab's
            # "covered by the client's credit"): only the notes still holding credit.
            models.Index(
                fields=["client"],
                condition=models.Q(kind="credit_note", credit_left__gt=0),
                name="credit_note_credit_idx",
            ),
            # The list's capped count, and the payment filters (Unpaid, Partially paid,
            # Overdue), read from the index alone.
            models.Index(
                fields=["firm", "status", "balance", "total_gross", "due_date", "prepaid"],
                name="inv_balance_idx",
            ),
            # Whether a client has an open balance (the Clients list's filter, and its
            # count): one probe per client, answered from the index alone.
            models.Index(
                fields=["firm", "kind", "client", "balance"],
                name="inv_client_owing_idx",
            ),
            # The bank-file matcher finds an invoice by the reference its transfer quotes.
            models.Index(
                fields=["firm", "payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="inv_payment_reference_idx",
            ),
        ]

    def __str__(self) -> str:
        # (Not get_status_display(), which rebuilds the choices' dict on each call: a
        # page of drafts names each in its row.)
        return self.number or f"#{self.pk} ({STATUS_LABELS.get(self.status, self.status)})"

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded", None)
        if loaded and loaded.get("status") not in (None, InvoiceStatus.DRAFT):
            changed = [
                name
                for name in self.CONTENT_FIELDS
                if (name in loaded and getattr(self, name) != loaded[name])
                # Deferred when read (a list's columns only), then set: a change.
                or (name not in loaded and name in self.__dict__)
            ]
            if changed:
                raise Frozen()
        super().save(*args, **kwargs)
        self._loaded = self._values_read()

    def refresh_from_db(self, *args, **kwargs) -> None:
        # (Also how a deferred field is read on access: what is read is as loaded.)
        super().refresh_from_db(*args, **kwargs)
        self._loaded = {**getattr(self, "_loaded", {}), **self._values_read()}

    def _values_read(self) -> dict:
        """The instance's field values, deferred ones left out (not read from the database
        to say what they are)."""
        values = self.__dict__
        return {
            f.attname: values[f.attname] for f in self._meta.concrete_fields if f.attname in values
        }

    def changed_fields(self) -> list[str]:
        """The fields set since the invoice was read (all that are set, for one not read;
        none of those left deferred): what an UPDATE needs to write, with updated_at."""
        loaded = getattr(self, "_loaded", None) or {}
        values = self.__dict__
        changed = [
            field.name
            for field in self._meta.concrete_fields
            if not field.primary_key
            and field.attname in values
            and (field.attname not in loaded or values[field.attname] != loaded[field.attname])
        ]
        return sorted({*changed, "updated_at"})

    def delete(self, *args, **kwargs):
        if self.status != InvoiceStatus.DRAFT:
            raise Frozen()
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        loaded = dict(zip(field_names, values, strict=True))
        if len(values) == len(cls._meta.concrete_fields) or _init_signals(cls):
            instance = super().from_db(db, field_names, values)
        else:
            # Some columns only (a list's .only()): Model.__init__ walks all forty fields
            # to mark the others deferred, most of a listed row's cost. A field whose
            # attribute is not set is deferred already (loaded on access, left out of a
            # save), so the columns read are set and the rest left alone.
            instance = cls.__new__(cls)
            state = instance._state = ModelState()
            state.adding, state.db = False, db
            instance.__dict__.update(loaded)
        instance._loaded = loaded
        return instance

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == DocumentKind.CREDIT_NOTE

    @property
    def amount_due(self) -> Decimal:
        """What the invoice asks the client to pay: its total less the deposits it
        deducts (EN 16931 BT-115)."""
        return Decimal(self.total_gross) - Decimal(self.prepaid or 0)

    def compute_totals(self, lines=None) -> money.Totals:
        lines = self.lines.all() if lines is None else lines
        return money.compute_totals(
            [(line.net_amount, line.vat_rate) for line in lines],
            self.currency,
            discount_percent=Decimal(self.discount_percent or 0),
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = ValidationError(
                _("The period ends before it starts."), code="period_order"
            )
        if bool(self.period_start) != bool(self.period_end):
            errors["period_end" if self.period_start else "period_start"] = ValidationError(
                _("Give both ends of the service period."), code="period_incomplete"
            )
        if self.currency == "EUR":
            self.exchange_rate = None
        self.delivery_country = (self.delivery_country or "").upper()
        if errors:
            raise ValidationError(errors)


class InvoiceLine(CheckedText):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    description = models.TextField(_("description"))
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal(1)
    )
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=14,
        decimal_places=4,
        validators=[
            MinValueValidator(
                0,
                _(
                    "A price cannot be negative: give a discount on the whole invoice, "
                    "or issue a credit note."
                ),
            )
        ],
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:60]

    def save(self, *args, **kwargs) -> None:
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)

    @property
    def net_amount(self) -> Decimal:
        return money.line_net(
            Decimal(self.quantity),
            Decimal(self.unit_price),
            Decimal(self.discount_percent or 0),
            self.invoice.currency,
        )

    def _check_draft(self) -> None:
        status = Invoice.objects.filter(pk=self.invoice_id).values_list("status", flat=True).first()
        if status not in (None, InvoiceStatus.DRAFT):
            raise Frozen()


class InvoicePdf(models.Model):
    """The PDF a finalized invoice was issued as, stored once: what the client got."""

    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="pdf", primary_key=True
    )
    pdf = models.BinaryField()
    rendered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invoice PDF")
        verbose_name_plural = _("invoice PDFs")

    def __str__(self) -> str:
        return f"PDF {self.invoice_id}"


class EmailDelivery(Delivery):
    """The outbox: one e-mail of one invoice to one set of recipients.

    Created in the transaction that asks for the send; a worker claims it by a
    conditional update (status and lease), so two workers never send the same
    row, and a task run twice sends once. The Message-ID is fixed at creation.
    """

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deliveries")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_resend = models.BooleanField(default=False)
    to = models.JSONField(_("to"))
    cc = models.JSONField(_("cc"), default=list, blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("message"))
    language = models.CharField(max_length=2, default="fr")
    message_id = models.CharField(max_length=250, unique=True)
    # Recipients the server refused while it accepted the message for the others:
    # {address: "550 5.1.1 reason"}. They did not get the invoice.
    refused = models.JSONField(_("refused recipients"), default=dict, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.invoice} → {', '.join(self.to)} ({self.status})"

    @property
    def delivered_to(self) -> list[str]:
        """The addresses the server accepted the message for."""
        if self.status != DeliveryStatus.SENT:
            return []
        return [a for a in [*self.to, *self.cc] if a not in self.refused]


class InvoiceEntry(models.Model):
    """A time or expense entry an invoice bills: the value it had in WIP, what the invoice
    charges for it (the difference is the write-up or write-down, with its reason).

    One live link per entry: a credit note that returns the entries to WIP releases
    them (they may then be billed again)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="entry_links")
    entry = models.ForeignKey("work.Entry", on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("WIP value"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("billed"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    released = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("billed entry")
        verbose_name_plural = _("billed entries")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(released=False),
                name="entry_billed_once",
            )
        ]

    def __str__(self) -> str:
        return f"entry {self.entry_id} on {self.invoice_id}"


def _init_signals(model) -> bool:
    """Whether anything listens to the model's pre_init or post_init (which only
    Model.__init__ sends). Nothing listens to either for any model, as a rule: that is
    known from the lists of receivers alone, before asking about this model."""
    if not (signals.pre_init.receivers or signals.post_init.receivers):
        return False
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
