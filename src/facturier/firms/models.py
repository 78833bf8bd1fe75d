from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.core.identifiers import check_party
from facturier.core.models import CheckedText
from facturier.core.validators import validate_currency


class Firm(CheckedText):
    """The tenant: an accounting or professional-services firm and its invoicing identity."""

    name = models.CharField(_("name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=100, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR", help_text="ISO 3166-1")
    siren = models.CharField(_("SIREN / company id"), max_length=20, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    email_from = models.EmailField(_("sender address"), blank=True)
    email_reply_to = models.EmailField(_("reply-to address"), blank=True)
    late_payment_penalty_rate = models.DecimalField(
        _("late payment penalty rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    recovery_indemnity = models.DecimalField(
        _("fixed recovery indemnity"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("40.00 in France for business clients"),
    )
    registration = models.CharField(
        _("trade registration"),
        max_length=120,
        blank=True,
        help_text=_("RCS and the registry's city (e.g. RCS Paris), or RM for craftspeople"),
    )
    vat_on_debits = models.BooleanField(
        _("VAT on debits"),
        default=False,
        help_text=_("The firm opted to pay VAT on services when invoiced, not when paid."),
    )
    vat_franchise = models.BooleanField(
        _("VAT franchise (art. 293 B of the CGI)"),
        default=False,
        help_text=_("A small business exempt from VAT: its invoices charge none."),
    )
    vat_exemption_reason = models.CharField(
        _("VAT exemption reason"),
        max_length=200,
        blank=True,
        help_text=_("Printed for zero-rated lines to clients in France, e.g. the CGI article."),
    )
    einvoice_enabled = models.BooleanField(
        _("issue e-invoices (Factur-X)"),
        default=True,
        help_text=_(
            "Finalized invoices are Factur-X PDFs (EN 16931). Off for firms outside the EU."
        ),
    )
    close_when_paid = models.BooleanField(
        _("close invoices once paid in full"),
        default=True,
        help_text=_(
            "An invoice whose balance reaches zero is closed by the system; "
            "removing a payment brings it back to Finalized."
        ),
    )
    credit_notes_own_series = models.BooleanField(
        _("number credit notes in their own series"),
        default=True,
        help_text=_("Off: credit notes take the next invoice number."),
    )
    two_factors_required = models.BooleanField(
        _("two factors required"),
        default=False,
        help_text=_(
            "Members without an authenticator app are led to set one up at their next "
            "sign-in, before any other page. API tokens are not affected."
        ),
    )
    personal_data_retention_years = models.PositiveSmallIntegerField(
        _("personal data kept (years)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "Former contacts (of archived clients) and former staff (deactivated) are "
            "erased this many years after their last activity."
        ),
    )
    default_payment_terms_days = models.PositiveSmallIntegerField(
        _("default payment terms (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    default_currency = models.CharField(
        _("default currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    default_vat_rate = models.DecimalField(
        _("default VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("firm")
        verbose_name_plural = _("firms")

    def __str__(self) -> str:
        return self.name

    def check_fields(self, exclude=None) -> None:
        check_party(self, company_field="siren", exclude=exclude)


class User(AbstractUser):
    """A member of a firm's staff (or a platform superuser without a firm)."""

    firm = models.ForeignKey(
        Firm,
        verbose_name=_("firm"),
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("en", "English"), ("fr", "Français")],
        help_text=_("Empty: follow the browser."),
    )
    # Set when the member's personal fields were erased (their rows stay, nameless).
    erased_at = models.DateTimeField(_("erased on"), null=True, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        if self.erased_at:
            return str(ERASED_PERSON)
        return self.get_full_name() or self.username


# How an erased contact or member reads wherever their name was shown.
ERASED_PERSON = _("Erased person")


class AuditEvent(models.Model):
    """The firm's one audit trail: every change an action makes (settings, clients,
    staff, tokens, templates, payments, entries... and every event of an invoice), one
    row each, written by the action in its own transaction under a name its app
    declared (firms/audit.py). An invoice's page shows the rows whose target is the
    invoice, read the way their app says (invoicing/history.py)."""

    firm = models.ForeignKey(
        Firm, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    actor = models.ForeignKey(
        "firms.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("when"), db_index=True)
    action = models.CharField(_("action"), max_length=50)  # "template.created", ...
    target_type = models.CharField(max_length=50)
    target_id = models.CharField(max_length=50, blank=True)
    target = models.CharField(_("object"), max_length=200, blank=True)
    # The status an event moved its target between, when it moved one (an invoice's).
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"
