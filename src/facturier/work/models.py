"""The work a firm bills: work codes, staff rates, time and expense entries.

An entry is work in progress (WIP) until an invoice bills it. Its recorded hours
and value never change once billed: what the invoice charged (after a write-up or
a write-down) is kept beside them (`billed_amount`), and a billed entry is locked
on every path (the actions refuse, and `save()` refuses too).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client
from facturier.core.errors import Frozen
from facturier.core.models import CheckedText
from facturier.firms.models import Firm

MONEY = {"max_digits": 12, "decimal_places": 2}
BILLED_LOCKED = _("A billed entry cannot be changed: an invoice charged it.")


class EntryKind(models.TextChoices):
    TIME = "time", _("Time")
    EXPENSE = "expense", _("Expense")


class WorkCode(CheckedText):
    """What the work was: a code of the firm's list, time or expense, billable or not."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="work_codes")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=EntryKind, default=EntryKind.TIME)
    billable = models.BooleanField(_("billable"), default=True)
    default_rate = models.DecimalField(
        _("default rate"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    surcharge_percent = models.DecimalField(
        _("surcharge (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
    )

    class Meta:
        verbose_name = _("work code")
        verbose_name_plural = _("work codes")
        ordering = ["firm", "code"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "code"], name="work_code_once_per_firm")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StaffRate(models.Model):
    """A staff member's hourly rate from a day on: the standard one (no work code) or
    one for a work code. The rate in force on a day is the latest that started by then;
    a rate whose successor has started is historical and cannot change."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rates"
    )
    work_code = models.ForeignKey(
        WorkCode, on_delete=models.PROTECT, null=True, blank=True, related_name="rates"
    )
    rate = models.DecimalField(_("hourly rate"), **MONEY, validators=[MinValueValidator(0)])
    effective_from = models.DateField(_("effective from"))

    class Meta:
        verbose_name = _("staff rate")
        verbose_name_plural = _("staff rates")
        ordering = ["staff", "work_code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "work_code", "effective_from"],
                condition=models.Q(work_code__isnull=False),
                name="staff_code_rate_once_per_day",
            ),
            models.UniqueConstraint(
                fields=["staff", "effective_from"],
                condition=models.Q(work_code__isnull=True),
                name="staff_rate_once_per_day",
            ),
        ]

    def __str__(self) -> str:
        code = self.work_code_id or "standard"
        return f"{self.staff_id} {code} {self.rate} from {self.effective_from}"


class Entry(CheckedText):
    """Time or an expense recorded for a client."""

    class State(models.TextChoices):
        UNBILLED = "unbilled", _("Unbilled")
        DRAFTED = "drafted", _("On a draft invoice")
        BILLED = "billed", _("Billed")

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="entries"
    )
    work_code = models.ForeignKey(
        WorkCode, verbose_name=_("work code"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=10, choices=EntryKind)
    day = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2, null=True, blank=True)
    # The rate in force on the entry's day (time); None: no rate was found, flagged in WIP.
    rate = models.DecimalField(_("rate"), **MONEY, null=True, blank=True)
    # What the work is worth at standard rates (time: hours × rate + surcharge; expense:
    # its amount before VAT + surcharge).
    amount = models.DecimalField(_("value"), **MONEY)
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    billable = models.BooleanField(_("billable"), default=True)
    receipt = models.BinaryField(_("receipt"), null=True, blank=True)
    receipt_type = models.CharField(max_length=40, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.UNBILLED)
    billed_amount = models.DecimalField(_("billed"), **MONEY, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-day", "-id"]
        permissions = [
            ("process_own_entries", _("Can record and change their own time and expenses")),
            ("process_all_entries", _("Can record and change every staff member's entries")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="expense") | models.Q(hours__gt=0),
                name="entry_time_has_hours",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="entry_value_positive"),
        ]
        indexes = [
            # The WIP tab: a firm's unbilled entries grouped by client.
            # The WIP tab reads only this index: every column it sums is in it, so
            # the database never visits the rows, and the day follows the client, so
            # its last months are a range of it.
            models.Index(
                fields=[
                    "firm",
                    "state",
                    "client",
                    "day",
                    "billable",
                    "kind",
                    "hours",
                    "amount",
                    "rate",
                ],
                name="entry_wip_days_idx",
            ),
            models.Index(fields=["staff", "-day"], name="entry_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.staff_id} {self.client_id} {self.hours or self.amount}"

    def save(self, *args, **kwargs) -> None:
        """A billed entry is what an invoice charged: nothing changes it but the invoicing
        actions (through `update_fields=["state", "billed_amount"]`)."""
        if self.pk and set(kwargs.get("update_fields") or ()) - {"state", "billed_amount"}:
            self._refuse_if_billed()
        elif self.pk and not kwargs.get("update_fields"):
            self._refuse_if_billed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_billed()
        return super().delete(*args, **kwargs)

    def _refuse_if_billed(self) -> None:
        state = Entry.objects.filter(pk=self.pk).values_list("state", flat=True).first()
        if state == Entry.State.BILLED:
            raise Frozen(BILLED_LOCKED)


class WipMonth(models.Model):
    """Unbilled, billable work per client, month and kind: what the WIP tab reads for
    the months before its last ninety days, instead of every entry. Kept by every
    action that moves an entry in or out of WIP (work.wip_totals), in its transaction."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    kind = models.CharField(max_length=10, choices=EntryKind)
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    unrated = models.IntegerField(default=0)
    entries = models.IntegerField(default=0)
    oldest = models.DateField(null=True)

    class Meta:
        verbose_name = _("WIP per month")
        verbose_name_plural = _("WIP per month")
        constraints = [
            models.UniqueConstraint(fields=["client", "month", "kind"], name="wip_month_once")
        ]
        indexes = [models.Index(fields=["firm", "month"], name="wip_month_firm_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month:%Y-%m} {self.kind}: {self.amount}"


class WipAsOf(models.Model):
    """The day a firm's WipToday rows are aged for (None: not kept yet)."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(null=True)

    class Meta:
        verbose_name = _("WIP as of")
        verbose_name_plural = _("WIP as of")

    def __str__(self) -> str:
        return f"{self.firm_id} {self.day}"


class WipToday(models.Model):
    """A client's work in progress aged as of its firm's WipAsOf day: what the WIP tab
    shows, ready. Moved by the same deltas as WipMonth; built again when the day turns
    (the worker's periodic pass); the tab sums the entries when it is not today's."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="+")
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    time_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    expenses = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    unrated = models.IntegerField(default=0)
    entries = models.IntegerField(default=0)
    oldest = models.DateField(null=True)
    b0 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    b1 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    b2 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    b3 = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("WIP today")
        verbose_name_plural = _("WIP today")
        indexes = [models.Index(fields=["firm"], name="wip_today_firm_idx")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.time_value} + {self.expenses}"


RECEIPT_SUFFIX = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def receipt_filename(entry_id: int, content_type: str) -> str:
    """The name a downloaded receipt takes, in the reader's language:
    receipt-<entry>.pdf, justificatif-<entry>.pdf."""
    from django.utils.translation import gettext

    return f"{gettext('receipt')}-{entry_id}.{RECEIPT_SUFFIX.get(content_type, 'bin')}"
