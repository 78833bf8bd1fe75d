from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from facturier.clients.models import LANGUAGES, Client, Contact
from facturier.core.converters import MAX_ID
from facturier.core.validators import validate_currency
from facturier.einvoicing.models import LifecycleStatus, Transmission
from facturier.firms.models import AuditEvent
from facturier.invoicing.lifecycle import InvoiceStatus, PaymentState, payment_state
from facturier.invoicing.models import (
    MENTION_FIELDS,
    EmailDelivery,
    Invoice,
    InvoiceTemplate,
    Operation,
)
from facturier.receivables.models import Allocation, BankStatement, Payment, StatementLine


class CurrencyField(serializers.CharField):
    """An ISO 4217 code, any case in, upper case out: the rule the forms and models apply."""

    def __init__(self, **kwargs):
        super().__init__(max_length=3, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        try:
            validate_currency(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from None
        return value


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "language", "role", "is_billing"]


class ClientSerializer(serializers.ModelSerializer):
    contacts = ContactSerializer(many=True, required=False)
    owners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    currency = CurrencyField(required=False)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "language",
            "currency",
            "vat_number",
            "company_id",
            "einvoice_address",
            "payment_terms_days",
            "delivery_address",
            "delivery_postal_code",
            "delivery_city",
            "delivery_country",
            "archived_at",
            "owners",
            "contacts",
        ]
        extra_kwargs = {"payment_terms_days": {"max_value": 365}}

    def validate_contacts(self, contacts):
        if sum(1 for c in contacts if c.get("is_billing")) > 1:
            raise serializers.ValidationError("A client has one billing contact.")
        return contacts


class LineSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=2000)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, required=False, default="1"
    )
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=4)
    vat_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default="0"
    )
    net = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, source="net_amount"
    )


class VatRowSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    base = serializers.DecimalField(max_digits=16, decimal_places=2)
    vat = serializers.DecimalField(max_digits=16, decimal_places=2)


class TotalsSerializer(serializers.Serializer):
    net = serializers.DecimalField(max_digits=16, decimal_places=2)
    vat = serializers.DecimalField(max_digits=16, decimal_places=2)
    gross = serializers.DecimalField(max_digits=16, decimal_places=2)
    lines_net = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="The lines before the invoice discount."
    )
    allowance = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="The discount on the whole invoice."
    )
    vat_breakdown = VatRowSerializer(many=True)


class InvoiceSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    lines = LineSerializer(many=True, read_only=True)
    totals = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, read_only=True)
    balance = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="What is left to pay; null for a draft.",
    )
    payment_state = serializers.SerializerMethodField()
    deposit = serializers.BooleanField(
        read_only=True, help_text="A deposit invoice (facture d'acompte, type code 386)."
    )
    prepaid = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="The deposits paid that the invoice deducts (set when it is finalized).",
    )
    amount_due = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="The total less the deposits deducted: what the invoice asks to pay.",
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "kind",
            "corrects",
            "number",
            "payment_reference",
            "status",
            "client",
            "client_name",
            "issue_date",
            "due_date",
            "payment_terms_days",
            "currency",
            "notes",
            *MENTION_FIELDS,
            "template",
            "lines",
            "totals",
            "deposit",
            "prepaid",
            "amount_due",
            "balance",
            "payment_state",
            "credit_left",
            "finalized_at",
            "closed_at",
            "sent_count",
            "last_sent_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=PaymentState.choices, allow_null=True))
    def get_payment_state(self, invoice) -> str | None:
        state = payment_state(invoice, timezone.localdate())
        return state.value if state else None

    def get_totals(self, invoice) -> TotalsSerializer:
        return TotalsSerializer(invoice.compute_totals(list(invoice.lines.all()))).data


class InvoiceWriteSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1)
    issue_date = serializers.DateField(required=False)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    currency = CurrencyField(required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    operation = serializers.ChoiceField(choices=Operation.choices, required=False)
    supply_date = serializers.DateField(required=False, allow_null=True)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    purchase_order = serializers.CharField(max_length=50, required=False, allow_blank=True)
    delivery_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    delivery_postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    delivery_city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    delivery_country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    exchange_rate = serializers.DecimalField(
        max_digits=16,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        required=False,
        allow_null=True,
        help_text="EUR for one unit of the invoice's currency; needed to finalize one not in EUR.",
    )
    template = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    lines = LineSerializer(many=True, required=False, max_length=2000)


class FinalizeSerializer(serializers.Serializer):
    template = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class EmailSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=250)
    message = serializers.CharField(max_length=20000)
    to = serializers.ListField(
        child=serializers.EmailField(), required=False, min_length=1, max_length=20
    )
    cc = serializers.ListField(child=serializers.EmailField(), required=False, max_length=20)
    language = serializers.ChoiceField(
        choices=LANGUAGES, required=False, help_text="Default: each client's language."
    )


class BulkSendSerializer(EmailSerializer):
    invoices = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=500
    )
    to = None


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = AuditEvent
        fields = ["at", "action", "from_status", "to_status", "actor", "details"]


class LifecycleStatusSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_code_display")

    class Meta:
        model = LifecycleStatus
        fields = ["code", "label", "at", "reason"]


class TransmissionSerializer(serializers.ModelSerializer):
    statuses = LifecycleStatusSerializer(many=True, read_only=True)

    class Meta:
        model = Transmission
        fields = [
            "id",
            "document",
            "processing_rule",
            "status",
            "tracking_id",
            "flow_id",
            "attempts",
            "next_attempt_at",
            "last_error",
            "held_since",
            "created_at",
            "deposited_at",
            "last_status",
            "statuses",
        ]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailDelivery
        fields = [
            "id",
            "status",
            "to",
            "cc",
            "subject",
            "message_id",
            "attempts",
            "next_attempt_at",
            "last_error",
            "held_since",
            "created_at",
            "sent_at",
            "is_resend",
            "refused",
        ]


class TemplateSerializer(serializers.ModelSerializer):
    accent_color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)

    class Meta:
        model = InvoiceTemplate
        fields = ["id", "is_default", "archived_at", *InvoiceTemplate.SETTINGS_FIELDS]
        read_only_fields = ["id", "is_default", "archived_at"]


# --- payments -------------------------------------------------------------------------

AMOUNT = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01")}


class AllocationRequestSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = serializers.DecimalField(
        **AMOUNT, required=False, allow_null=True, help_text="Omitted: oldest due date first."
    )


class AllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, default=None)

    class Meta:
        model = Allocation
        fields = ["id", "invoice", "invoice_number", "amount", "on"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "client",
            "client_name",
            "received_on",
            "amount",
            "currency",
            "method",
            "reference",
            "unallocated",
            "allocations",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class PaymentWriteSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    received_on = serializers.DateField()
    amount = serializers.DecimalField(**AMOUNT)
    currency = CurrencyField(required=False, help_text="Default: the client's currency.")
    method = serializers.ChoiceField(choices=Payment.Method.choices, required=False)
    reference = serializers.CharField(max_length=140, required=False, allow_blank=True)
    allocations = AllocationRequestSerializer(
        many=True,
        required=False,
        allow_null=True,
        max_length=500,
        help_text=(
            "Omitted or null: the client's open invoices, oldest due date first. "
            "What is not allocated stays as the client's credit."
        ),
    )


class PaymentUpdateSerializer(serializers.Serializer):
    received_on = serializers.DateField(required=False)
    amount = serializers.DecimalField(**AMOUNT, required=False)
    method = serializers.ChoiceField(choices=Payment.Method.choices, required=False)
    reference = serializers.CharField(max_length=140, required=False, allow_blank=True)


class AllocateSerializer(serializers.Serializer):
    allocations = AllocationRequestSerializer(
        many=True, required=False, allow_null=True, max_length=500
    )


class RefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**AMOUNT)
    on = serializers.DateField(required=False)


class MoneyByCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class ClientAccountSerializer(serializers.Serializer):
    owed = MoneyByCurrencySerializer(many=True)
    credit = MoneyByCurrencySerializer(many=True)


class CreditLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=0, max_value=100_000, help_text="From 0, as listed")
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), required=False
    )


class CreditAmountSerializer(serializers.Serializer):
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0))
    amount = serializers.DecimalField(**AMOUNT, help_text="Excluding VAT")


class CreditNoteSerializer(serializers.Serializer):
    lines = CreditLineSerializer(many=True, required=False, max_length=2000)
    amounts = CreditAmountSerializer(many=True, required=False, max_length=50)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    returns_entries = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Once finalized, the time and expenses the invoice billed go back to WIP.",
    )

    def validate(self, attrs):
        if "lines" in attrs and "amounts" in attrs:
            raise serializers.ValidationError(
                {"amounts": ["Give lines or amounts, not both."]}, code="exclusive"
            )
        return attrs


# --- bank statements ------------------------------------------------------------------


class StatementImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="camt.053, camt.052 or camt.054 XML, MT940 or CSV, at most 5 MB"
    )
    format = serializers.ChoiceField(
        choices=["auto", *BankStatement.Format.values],
        required=False,
        default="auto",
        help_text="camt052, camt053 and camt054 read whichever camt message the file holds",
    )
    date = serializers.CharField(max_length=100, required=False, help_text="CSV date column")
    amount = serializers.CharField(max_length=100, required=False)
    label = serializers.CharField(max_length=100, required=False)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    date_format = serializers.CharField(max_length=20, required=False)
    decimal_comma = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="CSV amounts read 1 234,56"
    )


class StatementLineSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, default=None)
    invoice_standing = serializers.ChoiceField(
        choices=["", *StatementLine.Standing.values],
        read_only=True,
        help_text="Where the proposed invoice stands now: still owed (open), closed by "
        "hand while it still owes (closed), or settled already (settled).",
    )

    class Meta:
        model = StatementLine
        fields = [
            "id",
            "line",
            "entry",
            "booked_on",
            "amount",
            "currency",
            "instructed_amount",
            "instructed_currency",
            "label",
            "reference",
            "debtor_name",
            "debtor_iban",
            "bank_reference",
            "state",
            "skip",
            "skip_detail",
            "match",
            "invoice",
            "invoice_number",
            "invoice_standing",
            "payment",
            "returns",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "line": {"help_text": "The transaction's place in the file (1-based)."},
            "entry": {"help_text": "The entry holding it: a batch entry holds several."},
            "amount": {
                "help_text": "As booked on the account, in its currency; negative for "
                "money paid out."
            },
            "instructed_amount": {
                "help_text": "What the payer instructed, when the bank gives another amount."
            },
            "skip": {"help_text": "Why the line is set aside; empty for money to match."},
            "returns": {"help_text": "For a return: the line whose payment it sends back."},
        }


class StatementSummarySerializer(serializers.Serializer):
    transactions = serializers.IntegerField(help_text="The file's transactions.")
    entries = serializers.IntegerField(help_text="The entries they came in.")
    imported = serializers.IntegerField(help_text="Credits kept to match with invoices.")
    set_aside = serializers.IntegerField(help_text="Lines kept that are not money received.")
    duplicates = serializers.IntegerField(help_text="Transactions an earlier file brought.")


class StatementDuplicateSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The transaction's line in this file.")
    entry = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    statement = serializers.IntegerField(help_text="The statement that brought it.")
    statement_line = serializers.IntegerField(help_text="Its line in that statement.")
    filename = serializers.CharField()


class StatementSerializer(serializers.ModelSerializer):
    lines = StatementLineSerializer(many=True, read_only=True)
    summary = StatementSummarySerializer(read_only=True)
    duplicates = StatementDuplicateSerializer(many=True, read_only=True)

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "filename",
            "format",
            "imported_at",
            "imported_by",
            "summary",
            "duplicates",
            "lines",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    invoice = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    ignore = serializers.BooleanField(required=False, default=False)
    undo = serializers.BooleanField(
        required=False,
        default=False,
        help_text="For a return: cancel the payment recorded from the line it returns.",
    )

    def validate(self, attrs):
        if not attrs.get("ignore") and not attrs.get("undo") and "invoice" not in attrs:
            raise serializers.ValidationError(
                {"invoice": ["Give the invoice the line pays, or ignore the line."]},
                code="required",
            )
        return attrs


class ConfirmSerializer(serializers.Serializer):
    decisions = DecisionSerializer(many=True, min_length=1, max_length=5000)
