"""The Clients area's forms: a client's details, a contact, the list's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.clients.actions import FIELDS
from facturier.clients.models import Client, Contact
from facturier.clients.selectors import ClientFilters
from facturier.firms.models import User

from .fields import IdField

YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class ClientForm(forms.ModelForm):
    """The details create_client and update_client take; the owners for who may choose."""

    owners = forms.ModelMultipleChoiceField(
        label=_("Owners"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Staff who own this client: they may draft, finalize and send its invoices."),
    )

    class Meta:
        model = Client
        fields = list(FIELDS)

    def __init__(self, *args, firm_id: int, with_owners: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if with_owners:
            staff = User.objects.filter(firm_id=firm_id, is_active=True).order_by("username")
            self.fields["owners"].queryset = staff
            if self.instance.pk:
                self.initial["owners"] = list(self.instance.owners.values_list("pk", flat=True))
        else:
            del self.fields["owners"]

    def action_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in FIELDS}

    def groups(self) -> list[tuple[str, list]]:
        """The fields as the page shows them, under a heading each."""
        names = {
            _("Client"): ["name", "language", "currency", "payment_terms_days"],
            _("Identifiers"): ["company_id", "vat_number", "einvoice_address"],
            _("Billing address"): ["address_line1", "address_line2", "postal_code", "city"],
            _("Delivery address"): [
                "delivery_address",
                "delivery_postal_code",
                "delivery_city",
                "delivery_country",
            ],
        }
        names[_("Billing address")].append("country")
        return [(title, [self[n] for n in fields]) for title, fields in names.items()]


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "role", "language", "is_billing"]


class ClientFilterForm(forms.Form):
    """The Clients list's filters, read from the URL so a link shows the same list."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, SIREN or VAT")}),
    )
    owner = IdField(label=_("Owner"), required=False)
    country = forms.RegexField(
        label=_("Country"), regex=r"^[A-Za-z]{2}$", required=False, max_length=2
    )
    owing = forms.BooleanField(label=_("With an open balance"), required=False)
    einvoice = forms.ChoiceField(label=_("E-invoicing address"), choices=YES_NO, required=False)
    archived = forms.BooleanField(label=_("Archived clients"), required=False)

    def filters(self) -> ClientFilters:
        data = self.cleaned_data if self.is_valid() else {}
        einvoice = data.get("einvoice") or ""
        return ClientFilters(
            search=data.get("q") or "",
            owner_id=data.get("owner"),
            country=data.get("country") or "",
            archived=bool(data.get("archived")),
            einvoice_address={"yes": True, "no": False}.get(einvoice),
        )


class ClientImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
