"""What a firm agreed with a client: the engagement (lettre de mission), its missions and
their fees, the fixed fees' schedules, the yearly revisions, and the periods billed.

A period is billed once: `BilledPeriod` holds one row per mission and period start under
a unique constraint, written in the transaction that makes the draft. The row follows its
invoice: deleting the draft deletes the row (CASCADE) and frees the period; a finalized
invoice is never deleted, so its periods stay billed.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client
from facturier.core.models import CheckedText
from facturier.firms.models import Firm, User
from facturier.invoicing.models import Invoice
from facturier.work.models import WorkCode

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("transfer")
    DIRECT_DEBIT = "direct_debit", _("direct debit")


class BillingMode(models.TextChoices):
    """What the run does with an engagement's invoice once it is made."""

    DRAFT = "draft", _("leave as a draft for review")
    FINALIZE = "finalize", _("finalize and send")


class Indexation(models.TextChoices):
    NONE = "none", _("none")
    PERCENT = "percent", _("percentage")
    INDEX = "index", _("index ratio")


class Engagement(CheckedText):
    """An engagement letter: the client, the term, how fees are paid and revised."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="engagements")
    reference = models.CharField(_("reference"), max_length=40)
    responsible = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible")
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    tacit_renewal = models.BooleanField(_("tacit renewal"), default=False)
    notice_months = models.PositiveSmallIntegerField(
        _("notice period (months)"), default=3, validators=[MaxValueValidator(24)]
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.TRANSFER,
    )
    indexation = models.CharField(
        _("indexation"), max_length=10, choices=Indexation.choices, default=Indexation.NONE
    )
    indexation_percent = models.DecimalField(
        _("yearly revision (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(-50), MaxValueValidator(100)],
    )
    index_name = models.CharField(_("index"), max_length=40, blank=True)
    # The day fees are revised each year; empty: the engagement's anniversary.
    revision_month = models.PositiveSmallIntegerField(
        _("revision month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    revision_day = models.PositiveSmallIntegerField(
        _("revision day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    # A deposit asked at signature: an amount before VAT, or a percentage of the first
    # year's fixed fees; its invoice is drafted when the letter is signed, or on demand.
    deposit_amount = models.DecimalField(
        _("deposit (excl. VAT)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    deposit_percent = models.DecimalField(
        _("deposit (percentage of the first year's fees)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    deposit_invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    billing_mode = models.CharField(
        _("invoices made by the run"),
        max_length=10,
        choices=BillingMode.choices,
        default=BillingMode.DRAFT,
    )
    # Set while billing is paused: the periods due from that day are not billed; on
    # resuming they are skipped (recorded as such) unless the user asks to catch up.
    paused_from = models.DateField(_("paused since"), null=True, blank=True, editable=False)
    # The billing day of the next invoice the run will make (actions/upcoming.py).
    next_bill_date = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "reference"], name="engagement_reference_once_per_firm"
            )
        ]
        indexes = [
            # The billing-run page's "coming next", in order from the index.
            models.Index(
                fields=["firm", "next_bill_date", "reference"], name="engagement_next_bill"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class FeeKind(models.TextChoices):
    FIXED = "fixed", _("fixed fee")
    TIME = "time", _("time-based")
    BOTH = "both", _("fixed and time-based")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    HALF_YEARLY = "half_yearly", _("half-yearly")
    YEARLY = "yearly", _("yearly")
    INSTALMENTS = "instalments", _("instalments")


class Timing(models.TextChoices):
    ADVANCE = "advance", _("in advance")
    ARREARS = "arrears", _("in arrears")


class Mission(CheckedText):
    """A mission of the engagement and its fee arrangement."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="missions")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=120)
    work_code = models.ForeignKey(
        WorkCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kind (work code)"),
    )
    fee_kind = models.CharField(_("fee arrangement"), max_length=10, choices=FeeKind.choices)
    annual_fee = models.DecimalField(
        _("annual fee"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal(20), validators=PERCENT
    )
    time_cap = models.DecimalField(
        _("cap per period"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    timing = models.CharField(
        _("billed"), max_length=8, choices=Timing.choices, default=Timing.ADVANCE
    )
    billing_day = models.PositiveSmallIntegerField(
        _("billing day"), default=1, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_fixed_fee(self) -> bool:
        return self.fee_kind in (FeeKind.FIXED, FeeKind.BOTH)


class Instalment(models.Model):
    """One agreed instalment of a mission's yearly fee (repeated each year of the term)."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="instalments")
    date = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.amount}"


class IndexValue(CheckedText):
    """A value of a price index (typed in Settings), from its date."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("index"), max_length=40)
    date = models.DateField(_("date"))
    value = models.DecimalField(
        _("value"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
    )

    class Meta:
        verbose_name = _("index value")
        verbose_name_plural = _("index values")
        ordering = ["name", "date"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name", "date"], name="index_value_once")
        ]


class Revision(models.Model):
    """A yearly revision of the fixed fees: from `effective_date`, fees × `factor`."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="revisions")
    effective_date = models.DateField(_("effective date"))
    factor = models.DecimalField(max_digits=12, decimal_places=8)
    percent = models.DecimalField(_("change (%)"), max_digits=8, decimal_places=2)
    base_index = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    new_index = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    # The invoice that told the client; a deleted draft leaves it to the next one.
    announced_on = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "effective_date"], name="revision_once_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.percent:+}%"


class PeriodPart(models.TextChoices):
    """What of a mission's period is billed: its fixed fee, or the time spent on it."""

    FIXED = "fixed", _("fixed fee")
    TIME = "time", _("time")


class BilledPeriod(models.Model):
    """One mission's period, billed (or skipped while billing was paused): at most once
    for its fixed fee and once for its time, as the unique constraint says."""

    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="billed_periods")
    part = models.CharField(max_length=5, choices=PeriodPart.choices, default=PeriodPart.FIXED)
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    version = models.PositiveIntegerField()
    # Empty for a period skipped while the engagement's billing was paused.
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    billed_at = models.DateTimeField(db_index=True)  # the billing-run page's day
    # Billed after its billing day: the run was not running that day.
    late = models.BooleanField(default=False)
    # An instalment of a schedule of instalments: one payment on its day (period_start),
    # not a span of time.
    instalment = models.BooleanField(default=False)
    # Time: what the entries were worth at standard rates, and what the cap took off it
    # (the write-down, also kept on each entry's link to the invoice).
    wip_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    written_down = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("billed period")
        verbose_name_plural = _("billed periods")
        ordering = ["period_start", "mission_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "part", "period_start"], name="period_part_billed_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mission} {self.period_start}"


class RunFailure(models.Model):
    """Why the run could not bill an engagement (or finalize and send what it made), kept
    until a run bills it: the billing-run page lists these with a retry."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="run_failure"
    )
    reason = models.TextField()
    code = models.CharField(max_length=60)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    failed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("billing run failure")
        verbose_name_plural = _("billing run failures")
        ordering = ["failed_at"]

    def __str__(self) -> str:
        return f"{self.engagement}: {self.code}"


# The engagement letter's models live beside (letter_models.py), loaded with these.
from .letter_models import (  # noqa: E402, F401
    EngagementLetter,
    EngagementLetterEmail,
    LetterTemplate,
)


class MissionEntry(models.Model):
    """A time or expense entry tied to a mission: what the mission's budget is measured
    against. Kept here, beside the missions, so work never names the engagements above it."""

    entry = models.OneToOneField(
        "work.Entry", on_delete=models.CASCADE, related_name="mission_link", primary_key=True
    )
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="entry_links")

    class Meta:
        verbose_name = _("entry of a mission")
        verbose_name_plural = _("entries of missions")

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.mission_id}"


class Budget(models.Model):
    """What a mission should take in a fiscal year (named by the year it ends in)."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="budgets")
    year = models.PositiveSmallIntegerField(_("fiscal year"))
    hours = models.DecimalField(
        _("budgeted hours"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    fees = models.DecimalField(
        _("budgeted fees"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["year", "mission__position", "mission_id"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "year"], name="budget_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.mission} {self.year}"


class BudgetThresholds(models.Model):
    """The firm's alert thresholds, in percent of a budget (80 and 100 unless set)."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="+")
    first = models.PositiveSmallIntegerField(
        _("first alert (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    second = models.PositiveSmallIntegerField(
        _("second alert (%)"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(999)],
    )

    class Meta:
        verbose_name = _("budget thresholds")
        verbose_name_plural = _("budget thresholds")

    def __str__(self) -> str:
        return f"{self.first} % / {self.second} %"


class BudgetAlert(models.Model):
    """A threshold crossed, told once: one row per mission, year and threshold (the unique
    constraint keeps two workers, or a retry, from telling it twice)."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="budget_alerts")
    year = models.PositiveSmallIntegerField()
    threshold = models.PositiveSmallIntegerField()
    hours_percent = models.DecimalField(max_digits=9, decimal_places=1)
    value_percent = models.DecimalField(max_digits=9, decimal_places=1)
    sent_to = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("budget alert")
        verbose_name_plural = _("budget alerts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "year", "threshold"], name="budget_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mission} {self.year} {self.threshold} %"
