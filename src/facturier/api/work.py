"""The API of time and expenses: entries (a bulk create of up to 1,000, all or nothing),
work codes, WIP per client, and a draft invoice from a client's WIP."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from facturier.clients.permissions import visible_clients
from facturier.core.converters import MAX_ID
from facturier.core.downloads import uploaded_file
from facturier.invoicing import actions as invoicing
from facturier.work import actions
from facturier.work.models import Entry, WorkCode, receipt_filename
from facturier.work.permissions import visible_entries
from facturier.work.selectors import (
    HAS_RECEIPT,
    WIP_BUCKETS,
    client_wip,
    entry_receipt,
    wip_by_client,
)

from . import serializers as s
from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .views import BinaryView, _invoice

BULK_LIMIT = 1000
MONEY = {"max_digits": 12, "decimal_places": 2}


class WorkCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkCode
        fields = ["id", "code", "name", "kind", "billable", "default_rate", "surcharge_percent"]


class EntrySerializer(serializers.ModelSerializer):
    work_code = serializers.CharField(source="work_code.code")
    receipt = serializers.SerializerMethodField(
        help_text="Where to read the expense's receipt; null when it has none."
    )
    mission = serializers.SerializerMethodField(
        help_text="The engagement's mission the entry counts for; null: none."
    )

    class Meta:
        model = Entry
        fields = [
            "id",
            "staff",
            "client",
            "work_code",
            "kind",
            "day",
            "hours",
            "rate",
            "amount",
            "vat_rate",
            "description",
            "billable",
            "state",
            "billed_amount",
            "receipt",
            "mission",
        ]

    def get_mission(self, entry) -> int | None:
        link = getattr(entry, "mission_link", None)
        return link.mission_id if link is not None else None

    def get_receipt(self, entry) -> str | None:
        if not getattr(entry, "has_receipt", False):
            return None
        return reverse("api-entry-receipt", args=[entry.pk])


class EntryWriteSerializer(serializers.Serializer):
    staff = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Default: you."
    )
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    work_code = serializers.CharField(max_length=20, help_text="The code, such as AUD.")
    day = serializers.DateField()
    hours = serializers.CharField(
        max_length=10, required=False, help_text="Time: 1.5 or 1:30 (at most 24)."
    )
    amount = serializers.DecimalField(
        **MONEY, required=False, help_text="Expense: its amount before VAT."
    )
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    billable = serializers.BooleanField(required=False, default=True)
    mission = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="A mission of the client's engagements. Default (or null): the mission of "
        "the engagement in force on the day with the entry's work code, else its only one.",
    )


class EntryBatchSerializer(serializers.Serializer):
    entries = EntryWriteSerializer(many=True, min_length=1, max_length=BULK_LIMIT)


class EntryBatchResultSerializer(serializers.Serializer):
    entries = EntrySerializer(many=True)


class WipRowSerializer(serializers.Serializer):
    client = serializers.IntegerField(source="client_id")
    client_name = serializers.CharField(source="client")
    hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    time_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    expenses = serializers.DecimalField(max_digits=14, decimal_places=2)
    oldest = serializers.DateField(allow_null=True)
    unrated = serializers.IntegerField(help_text="Time entries without a rate (worth 0).")
    buckets = serializers.ListField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        help_text="Value by age: " + ", ".join(label for label, _f, _l in WIP_BUCKETS) + " days.",
    )


def entry_ids(**kwargs) -> serializers.ListField:
    """A list of entry ids (each field its own: DRF binds a field to one serializer)."""
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=20_000,
        **kwargs,
    )


class BilledAmountSerializer(serializers.Serializer):
    """What a draft from WIP bills: the entries' value, an amount, or the value written
    up or down by a percentage (the page's choices, one refusal if both are given)."""

    entries = entry_ids()
    amount = serializers.DecimalField(**MONEY, required=False, min_value=0)
    percent = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        required=False,
        min_value=-100,
        max_value=1000,
        help_text="Write the entries' value up or down by this percentage (-10: ten percent "
        "less), instead of giving an amount.",
    )


class FromWipSerializer(BilledAmountSerializer):
    bill = serializers.ChoiceField(
        choices=["work", "interim", "final", "fixed"],
        default="work",
        help_text=(
            "work: the entries; interim: work to date on account, the entries stay in WIP; "
            "final: the entries less the interim invoices not deducted yet; fixed: an amount."
        ),
    )
    billed = serializers.DictField(
        child=serializers.DecimalField(**MONEY, min_value=0),
        required=False,
        help_text="Entry id -> amount billed for it, by hand (must add up to amount).",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    grouping = serializers.ChoiceField(choices=["work_code", "entry"], default="work_code")
    cutoff = serializers.DateField(required=False)


class EntryList(ListAPIView):
    serializer_class = EntrySerializer

    def get_queryset(self):
        return _entries(self.request.user).order_by("-day", "-id")

    @extend_schema(operation_id="entries_list", summary="Time and expense entries you may see")
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="entries_create",
        request=EntryBatchSerializer,
        responses={201: EntryBatchResultSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Record up to 1,000 entries: all of them, or none",
    )
    @idempotent
    def post(self, request):
        data = EntryBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = []
        for row in data.validated_data["entries"]:
            row = dict(row)
            if "amount" in row:
                row["amount"] = str(row["amount"])
            if "vat_rate" in row:
                row["vat_rate"] = str(row["vat_rate"])
            rows.append(row)
        entries = actions.record_entries(rows, by=request.user, limit=BULK_LIMIT)
        for entry in entries:  # none: receipts are uploaded one by one, to each entry's own
            entry.has_receipt = False
        return Response(
            {"entries": EntrySerializer(entries, many=True).data}, status=status.HTTP_201_CREATED
        )


class EntryUpdateSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    work_code = serializers.CharField(max_length=20, required=False)
    day = serializers.DateField(required=False)
    hours = serializers.CharField(max_length=10, required=False)
    amount = serializers.DecimalField(**MONEY, required=False)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    billable = serializers.BooleanField(required=False)
    mission = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="A mission of the client's engagements. Default (or null): the mission of "
        "the engagement in force on the day with the entry's work code, else its only one.",
    )


class EntryDetail(GenericAPIView):
    serializer_class = EntrySerializer

    @extend_schema(operation_id="entries_retrieve")
    def get(self, request, pk):
        return Response(EntrySerializer(_entry(request, pk)).data)

    @extend_schema(
        operation_id="entries_partial_update",
        request=EntryUpdateSerializer,
        responses={200: EntrySerializer},
        summary="Change an entry no invoice holds (a billed one is refused: 409)",
    )
    def patch(self, request, pk):
        data = EntryUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {
            key: str(value) if key in ("amount", "vat_rate") else value
            for key, value in data.validated_data.items()
        }
        entry = actions.update_entry(pk, by=request.user, fields=fields)
        return Response(EntrySerializer(_entry(request, entry.pk)).data)

    @extend_schema(
        operation_id="entries_destroy",
        responses={204: None},
        summary="Delete an entry no invoice holds",
    )
    def delete(self, request, pk):
        actions.delete_entry(pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _entries(user):
    """The entries the user sees, each knowing whether it has a receipt (not its bytes)."""
    return (
        visible_entries(user)
        .select_related("work_code", "mission_link")
        .defer("receipt")
        .annotate(has_receipt=HAS_RECEIPT)
    )


def _entry(request, pk):
    entry = _entries(request.user).filter(pk=pk).first()
    if entry is None:
        raise NotFound(_("No such entry."))
    return entry


class ReceiptUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF, JPEG or PNG file of at most 5 MB.")


class ReceiptRenderer(BaseRenderer):
    """The receipt as uploaded: a PDF, a JPEG or a PNG."""

    media_type = "*/*"
    format = "receipt"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class EntryReceipt(BinaryView):
    serializer_class = ReceiptUploadSerializer
    parser_classes = [MultiPartParser]
    renderer_classes = [JSONRenderer, ReceiptRenderer]

    def get_queryset(self):  # OPTIONS describes PUT by looking the entry up
        return _entries(self.request.user)

    @extend_schema(
        operation_id="entries_receipt_retrieve",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
        },
        summary="An expense's receipt, as it was uploaded",
    )
    def get(self, request, pk):
        found = entry_receipt(user=request.user, pk=pk)
        if found is None:
            raise NotFound(_("No receipt for this entry."))
        data, content_type = found
        return uploaded_file(data, content_type, receipt_filename(pk, content_type))

    @extend_schema(
        operation_id="entries_receipt_update",
        request={"multipart/form-data": ReceiptUploadSerializer},
        responses={200: EntrySerializer},
        summary="Attach or replace an expense's receipt (refused once an invoice holds it)",
    )
    def put(self, request, pk):
        data = ReceiptUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        actions.attach_receipt(pk, by=request.user, data=upload.read(actions.MAX_RECEIPT + 1))
        return Response(EntrySerializer(_entry(request, pk)).data)


class WorkCodeList(ListAPIView):
    serializer_class = WorkCodeSerializer

    def get_queryset(self):
        return WorkCode.objects.filter(firm_id=self.request.user.firm_id).order_by("code")

    @extend_schema(operation_id="work_codes_list", summary="The firm's work codes")
    def get(self, request):
        return self.list(request)


class WipList(GenericAPIView):
    serializer_class = WipRowSerializer
    pagination_class = None  # one row per client with work in progress, all of them

    @extend_schema(
        operation_id="wip_list",
        responses={200: WipRowSerializer(many=True)},
        summary="Work in progress per client, as the WIP tab shows it",
    )
    def get(self, request):
        rows = wip_by_client(user=request.user, today=timezone.localdate())
        return Response(WipRowSerializer(rows, many=True).data)


class InvoiceFromWip(GenericAPIView):
    serializer_class = FromWipSerializer

    @extend_schema(
        operation_id="clients_invoice_from_wip",
        request=FromWipSerializer,
        responses={201: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="A draft invoice from the client's unbilled entries",
    )
    @idempotent
    def post(self, request, pk):
        data = FromWipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        billed = values.pop("billed", None)
        amount, percent = values.pop("amount", None), values.pop("percent", None)
        draft = invoicing.draft_from_wip(
            by=request.user,
            client=pk,
            amount=None if amount is None else str(amount),
            percent=None if percent is None else str(percent),
            billed={key: str(value) for key, value in billed.items()} if billed else None,
            **values,
        )
        return Response(s.InvoiceSerializer(draft).data, status=status.HTTP_201_CREATED)


class WipPreviewSerializer(BilledAmountSerializer):
    entries = entry_ids(
        help_text="The entries to bill; all of the client's work in progress when absent."
    )


class WipPreviewResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Entries billed.")
    value = serializers.DecimalField(**MONEY, help_text="Their standard value.")
    billed = serializers.DecimalField(**MONEY, help_text="What the draft would bill.")
    adjustment = serializers.DecimalField(**MONEY, help_text="Write-up (+) or write-down (-).")
    realization = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text="Billed ÷ value, in percent."
    )


class InvoiceFromWipPreview(GenericAPIView):
    serializer_class = WipPreviewSerializer

    @extend_schema(
        operation_id="clients_invoice_from_wip_preview",
        request=WipPreviewSerializer,
        responses={200: WipPreviewResultSerializer},
        summary="What a draft from WIP would bill, and its realization, before it is made",
    )
    def post(self, request, pk):
        data = WipPreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not visible_clients(request.user).filter(pk=pk).exists():
            raise NotFound(_("No such client."))
        entries = client_wip(user=request.user, client_id=pk)
        if "entries" in values:
            entries = entries.filter(pk__in=values["entries"])
        value = sum((entry.amount for entry in entries), Decimal(0))
        amount, percent = values.get("amount"), values.get("percent")
        target = invoicing.bill_target(
            value,
            amount=None if amount is None else str(amount),
            percent=None if percent is None else str(percent),
        )
        preview = {
            "count": len(entries),
            "value": value,
            "billed": target,
            "adjustment": target - value,
            "realization": invoicing.realization_percent(value, target),
        }
        return Response(WipPreviewResultSerializer(preview).data)


class DepositSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, help_text="The deposit before VAT."
    )
    percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="A percentage of `fees`, instead of an amount.",
    )
    fees = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, help_text="The fees the deposit is taken on."
    )
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text="Must be the client's."
    )
    vat_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class ClientDeposit(GenericAPIView):
    serializer_class = DepositSerializer

    @extend_schema(
        operation_id="clients_deposit_invoice",
        request=DepositSerializer,
        responses={201: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="A draft deposit invoice (facture d'acompte) for the client",
    )
    @idempotent
    def post(self, request, pk):
        data = DepositSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {
            key: str(value) if isinstance(value, Decimal) else value
            for key, value in data.validated_data.items()
        }
        draft = invoicing.draft_deposit(by=request.user, client=pk, **values)
        return Response(s.InvoiceSerializer(draft).data, status=status.HTTP_201_CREATED)


class DeductDepositsSerializer(serializers.Serializer):
    deposits = entry_ids(
        help_text="The deposit invoices to deduct; all those paid and not deducted when absent."
    )


class InvoiceDeductDeposits(GenericAPIView):
    serializer_class = DeductDepositsSerializer

    @extend_schema(
        operation_id="invoices_deduct_deposits",
        request=DeductDepositsSerializer,
        responses={200: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Make a draft deduct the client's deposit invoices paid",
    )
    @idempotent
    def post(self, request, pk):
        data = DeductDepositsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoicing.deduct_deposits(pk, by=request.user, deposits=data.validated_data.get("deposits"))
        return Response(s.InvoiceSerializer(_invoice(request, pk)).data)


class InvoiceReleaseDeposits(GenericAPIView):
    # No body: the invoice it answers with is what OPTIONS describes.
    serializer_class = s.InvoiceSerializer

    @extend_schema(
        operation_id="invoices_release_deposits",
        request=None,
        responses={200: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Make a draft deduct no deposit invoice any more (a later invoice may)",
    )
    @idempotent
    def post(self, request, pk):
        invoicing.release_deposits(pk, by=request.user)
        return Response(s.InvoiceSerializer(_invoice(request, pk)).data)
