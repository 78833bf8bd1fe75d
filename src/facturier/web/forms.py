from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.core import reading
from facturier.core.validators import validate_currency
from facturier.einvoicing.models import Lifecycle
from facturier.invoicing.lifecycle import InvoiceStatus, PaymentState
from facturier.invoicing.models import InvoiceTemplate, Operation
from facturier.invoicing.selectors import PAYMENT_FILTERS, SORTS, InvoiceFilters

from .fields import AmountField, DayField, IdField

LINE_INPUTS = ("description", "quantity", "unit_price", "vat_rate", "discount_percent")


class FilterForm(forms.Form):
    """The Invoices tab's filters, read from the URL so a link shows the same list."""

    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=InvoiceStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    payment = forms.MultipleChoiceField(
        label=_("Payment"),
        choices=[(state.value, PaymentState(state).label) for state in PAYMENT_FILTERS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # What the e-invoicing platform last said (French e-invoicing): one status, or every
    # invoice refused or rejected, which needs someone's action.
    platform = forms.ChoiceField(
        label=_("E-invoicing status"),
        required=False,
        choices=[("", _("Any")), ("action", _("Needs action (refused, rejected)"))]
        + list(Lifecycle.choices),
    )
    # An id among the user's clients (checked in clean_client, not as choices: a firm may
    # have thousands, and Django normalizes choices on every request).
    client = IdField(label=_("Client"), required=False)
    issued_after = DayField(
        label=_("Issued from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    issued_before = DayField(
        label=_("Issued until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number or client")}),
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("number", _("Number")),
            ("client", _("Client")),
            ("-total", _("Largest total")),
            ("due", _("Due date")),
            ("-balance", _("Largest balance")),
        ],
    )

    def __init__(self, *args, clients=(), can_see_closed=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_see_closed:  # closed invoices are for the processing permission
            self.fields["status"].choices = [
                c for c in InvoiceStatus.choices if c[0] != InvoiceStatus.CLOSED
            ]
        # (pk, name) pairs; the template renders the options itself (a firm may have
        # thousands of clients, too many for the widget's per-option templates).
        self.client_ids = {pk for pk, _name in clients}

    def clean_client(self):
        client = self.cleaned_data.get("client")
        if client is not None and client not in self.client_ids:
            raise forms.ValidationError(_("No such client."), code="invalid_choice")
        return client

    def filters(self) -> InvoiceFilters:
        """Valid filters only: a bad value in a shared link is ignored, never an error page."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {
                name: value
                for name, value in getattr(self, "cleaned_data", {}).items()
                if name not in self.errors
            }
        )
        sort = data.get("sort") or "newest"
        return InvoiceFilters(
            statuses=frozenset(data.get("status") or ()),
            client_id=data.get("client"),
            issued_after=data.get("issued_after"),
            issued_before=data.get("issued_before"),
            q=data.get("q") or "",
            sort=sort if sort in SORTS else "newest",
            payment=frozenset(data.get("payment") or ()),
        )


class InvoiceForm(forms.Form):
    """A draft's own fields; its lines come as parallel lists (see parse_lines)."""

    client = forms.TypedChoiceField(label=_("Client"), coerce=int)
    issue_date = DayField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Becomes the day of finalization."),
    )
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"),
        min_value=0,
        max_value=365,
        required=False,
        help_text=_("Empty: the client's or the firm's default."),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        required=False,
        help_text=_("Empty: the client's currency."),
    )
    template = forms.TypedChoiceField(
        label=_("Invoice template"), coerce=int, required=False, empty_value=None
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The mentions French e-invoicing asks for (see Invoice).
    operation = forms.ChoiceField(
        label=_("Nature of the operation"),
        choices=Operation.choices,
        initial=Operation.SERVICES,
        required=False,  # left out: services, what the firm's invoices mostly are
    )
    supply_date = DayField(
        label=_("Date of supply"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the invoice's date, unless a service period is given."),
    )
    period_start = DayField(
        label=_("Service period from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    period_end = DayField(
        label=_("to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    purchase_order = forms.CharField(label=_("Purchase order"), max_length=50, required=False)
    discount_percent = AmountField(
        label=_("Discount on the whole invoice (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        required=False,
    )
    exchange_rate = AmountField(
        label=_("Exchange rate (EUR for 1 unit)"),
        min_value=Decimal("0.000001"),
        max_digits=16,
        decimal_places=6,
        required=False,
        help_text=_("Needed for an invoice in another currency than EUR."),
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=200, required=False)
    delivery_postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    delivery_city = forms.CharField(label=_("City"), max_length=100, required=False)
    delivery_country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text="ISO 3166-1"
    )

    def __init__(self, *args, clients=(), templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", "—")] + [(c.pk, c.name) for c in clients]
        self.fields["template"].choices = [("", pgettext_lazy("template", "Firm's default"))] + [
            (t.pk, t.name) for t in templates
        ]
        self.fields["issue_date"].initial = timezone.localdate  # the firm's calendar day

    def clean_currency(self):
        currency = (self.cleaned_data.get("currency") or "").upper()
        if currency:
            validate_currency(currency)
        return currency

    def action_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("currency"):
            data.pop("currency", None)
        return data


def typed_lines(post) -> list[dict[str, str]]:
    """The lines editor posts one list per column: its rows as typed, those left empty
    dropped (what a refused form shows again)."""
    columns = {name: post.getlist(f"line_{name}") for name in LINE_INPUTS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = (
        {
            name: (columns[name][index] if index < len(columns[name]) else "").strip()
            for name in LINE_INPUTS
        }
        for index in range(count)
    )
    return [row for row in rows if any(row[name] for name in ("description", "unit_price"))]


def parse_lines(post) -> list[dict[str, str]]:
    """The lines posted, as the actions take them: a number as a French or English user
    writes it (1 234,50) read; anything else as typed, for the action to refuse beside
    its cell."""
    lines = []
    for row in typed_lines(post):
        for name in ("quantity", "unit_price", "vat_rate", "discount_percent"):
            number = reading.decimal(row[name]) if row[name] else None
            row[name] = format(number, "f") if number is not None else row[name]
        lines.append(row)
    return lines


class FinalizeForm(forms.Form):
    template = forms.TypedChoiceField(
        label=_("Invoice template"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, templates=(), default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", pgettext_lazy("template", "Firm's default"))] + [
            (t.pk, t.name) for t in templates
        ]
        if default is not None:
            self.fields["template"].initial = default.pk


def usable_templates(firm_id):
    return InvoiceTemplate.objects.filter(firm_id=firm_id, archived_at=None).order_by(
        "-is_default", "name"
    )
