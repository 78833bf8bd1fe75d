import functools

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from facturier.core.compiled_sql import CompiledQuery, Markers, ValueKind, compile_query, instances
from facturier.core.identifiers import check_party
from facturier.core.models import CheckedText, SortKeyField
from facturier.core.validators import validate_currency
from facturier.firms.models import ERASED_PERSON, Firm

LANGUAGES = [("fr", "Français"), ("en", "English")]


class Client(CheckedText):
    """A client entity of the firm: who invoices are addressed to."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(_("name"), max_length=200)
    # The name as lists order it: without case or accents (reading.sort_key).
    sort_name = SortKeyField(source="name")
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owners"),
        related_name="owned_clients",
        help_text=_("Staff who own this client: they may draft, finalize and send its invoices."),
    )
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR", help_text="ISO 3166-1")
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES, default="fr")
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="EUR",
        help_text="ISO 4217",
        validators=[validate_currency],
    )
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    company_id = models.CharField(_("SIREN / company id"), max_length=20, blank=True)
    einvoice_address = models.CharField(
        _("e-invoicing address"),
        max_length=130,
        blank=True,
        help_text=_(
            "The routing address from the e-invoicing directory, as scheme:identifier "
            "(e.g. 0225:732829320). Empty: the SIREN."
        ),
        validators=[
            RegexValidator(
                r"^[0-9A-Z]{2,4}:[A-Za-z0-9._@+-]{1,125}$",
                _("Write it as scheme:identifier, e.g. 0225:732829320."),
                code="invalid_address",
            )
        ],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: the firm's default."),
    )
    delivery_address = models.CharField(_("delivery address"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("delivery postal code"), max_length=20, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country = models.CharField(
        _("delivery country"), max_length=2, blank=True, help_text=_("Empty: the billing one.")
    )
    # Archived clients leave the lists and choices; their documents stay as they were.
    archived_at = models.DateTimeField(_("archived on"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["sort_name", "id"]
        indexes = [models.Index(fields=["firm", "sort_name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def billing_contact(self) -> "Contact | None":
        """The billing contact, else the first contact by name (the contacts' order)."""
        if "contacts" in getattr(self, "_prefetched_objects_cache", {}):  # prefetch_related
            contacts = list(self.contacts.all())
            return next((c for c in contacts if c.is_billing), contacts[0] if contacts else None)
        # Read on each finalization and e-mail: a statement compiled once.
        statement = _first_contact(connection.vendor)
        found = instances(Contact, statement, {"client": self.pk})
        for contact in found:
            Contact.client.field.set_cached_value(contact, self)
        return found[0] if found else None

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sort_name"}
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        self.currency = (self.currency or "").upper()
        self.country = (self.country or "").upper()
        self.delivery_country = (self.delivery_country or "").upper()
        super().clean_fields(exclude=exclude)

    def check_fields(self, exclude=None) -> None:
        check_party(self, company_field="company_id", exclude=exclude)


class Contact(CheckedText):
    """A person at a client; the billing contact receives the invoices."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=LANGUAGES,
        blank=True,
        help_text=_("Empty: the client's."),
    )
    role = models.CharField(_("role"), max_length=100, blank=True)
    is_billing = models.BooleanField(_("billing contact"), default=False)
    # Set when the contact's personal fields were erased (the row stays, nameless).
    erased_at = models.DateTimeField(_("erased on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_billing", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(is_billing=True),
                name="one_billing_contact_per_client",
                violation_error_message=_("A client has one billing contact."),
            )
        ]

    def __str__(self) -> str:
        if self.erased_at:
            return str(ERASED_PERSON)
        return f"{self.name} <{self.email}>"

    @property
    def display_name(self) -> str:
        return str(ERASED_PERSON) if self.erased_at else self.name


@functools.cache
def _first_contact(vendor: str) -> CompiledQuery:
    markers = Markers()
    contacts = Contact.objects.filter(client_id=markers.value("client", ValueKind.INTEGER))
    return compile_query(contacts[:1], markers)
