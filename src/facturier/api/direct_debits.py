"""The API's side of SEPA direct debit: a client's mandates and their status, an
invoice's debit, the firm's debits, and the batches (create one, download its pain.008).
The processing permission throughout, as in the browser."""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from facturier.clients.permissions import can_process, visible_clients
from facturier.core.errors import NotFound
from facturier.receivables import actions
from facturier.receivables.models import Debit, DebitBatch, Mandate
from facturier.receivables.selectors import client_mandates, debit_batches, firm_debits

from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .views import BinaryView, XmlRenderer

NEEDS_PROCESSING = "Direct debits need the processing permission."
MONEY = {"max_digits": 14, "decimal_places": 2}


class MandateSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="pending, active, suspended, revoked, or expired (36 months without a collection)"
    )

    class Meta:
        model = Mandate
        fields = [
            "id",
            "client",
            "reference",
            "debtor_name",
            "iban",
            "bic",
            "signed_on",
            "signed_at",
            "recurrent",
            "scheme",
            "status",
            "last_collected_on",
        ]
        read_only_fields = ["id", "client", "last_collected_on"]

    def get_status(self, mandate: Mandate) -> str:
        return mandate.current_status(timezone.localdate())


class MandateWriteSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=35)
    debtor_name = serializers.CharField(max_length=70)
    iban = serializers.CharField(max_length=50)
    bic = serializers.CharField(max_length=20)
    signed_on = serializers.DateField(required=False, allow_null=True)
    signed_at = serializers.CharField(max_length=100, required=False, allow_blank=True)
    recurrent = serializers.BooleanField(default=True)
    scheme = serializers.ChoiceField(choices=["CORE", "B2B"], default="CORE")


def _require_processing(request) -> None:
    if not can_process(request.user):
        raise PermissionDenied(NEEDS_PROCESSING)


class ClientMandates(GenericAPIView):
    serializer_class = MandateSerializer

    def _client(self, pk):
        client = visible_clients(self.request.user).filter(pk=pk).first()
        if client is None:
            raise NotFound(_("No such client."))
        return client

    @extend_schema(
        operation_id="mandates_list",
        responses={200: MandateSerializer(many=True)},
        summary="A client's direct-debit mandates",
    )
    def get(self, request, pk):
        client = self._client(pk)
        page = self.paginate_queryset(client_mandates(client_id=client.pk))
        return self.get_paginated_response(MandateSerializer(page, many=True).data)

    @extend_schema(
        operation_id="mandates_create",
        request=MandateWriteSerializer,
        responses={201: MandateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary=(
            "A new mandate: active with a signature date, pending signature without; "
            "invalid_iban, invalid_bic, invalid_reference, duplicate, future"
        ),
    )
    @idempotent
    def post(self, request, pk):
        data = MandateWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mandate = actions.create_mandate(
            self._client(pk), by=request.user, fields=data.validated_data
        )
        return Response(MandateSerializer(mandate).data, status=status.HTTP_201_CREATED)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["active", "suspended", "revoked"])
    signed_on = serializers.DateField(
        required=False, allow_null=True, help_text="To activate a mandate pending signature."
    )


class MandateStatus(GenericAPIView):
    serializer_class = StatusSerializer

    @extend_schema(
        operation_id="mandates_status",
        request=StatusSerializer,
        responses={200: MandateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Sign (activate), suspend, resume or revoke a mandate; revoked is final",
    )
    @idempotent
    def post(self, request, pk):
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mandate = actions.set_mandate_status(
            pk,
            by=request.user,
            status=data.validated_data["status"],
            signed_on=data.validated_data.get("signed_on"),
        )
        return Response(MandateSerializer(mandate).data)


class DebitSerializer(serializers.ModelSerializer):
    mandate_reference = serializers.CharField(source="mandate.reference", read_only=True)
    amount = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = Debit
        fields = [
            "id",
            "invoice",
            "mandate",
            "mandate_reference",
            "due_date",
            "amount",
            "status",
            "sequence",
            "batch",
        ]


class ScheduleSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, help_text="Empty: the balance left to pay."
    )


class InvoiceDebit(GenericAPIView):
    serializer_class = ScheduleSerializer

    @extend_schema(
        operation_id="invoices_debit",
        request=ScheduleSerializer,
        responses={201: DebitSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary=(
            "Schedule the invoice's debit at its due date under the client's active mandate: "
            "already_scheduled, paid, credited, not_finalized, no_active_mandate, "
            "exceeds_balance"
        ),
    )
    @idempotent
    def post(self, request, pk):
        data = ScheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        debit = actions.schedule_debit(
            pk, by=request.user, amount=data.validated_data.get("amount")
        )
        return Response(DebitSerializer(debit).data, status=status.HTTP_201_CREATED)


class DebitList(ListAPIView):
    serializer_class = DebitSerializer

    def get_queryset(self):
        _require_processing(self.request)
        wanted = self.request.query_params.get("status", Debit.Status.SCHEDULED)
        if wanted not in Debit.Status.values:
            raise serializers.ValidationError(
                {"status": [f"One of: {', '.join(Debit.Status.values)}."]}, code="invalid_choice"
            )
        return firm_debits(user=self.request.user, status=wanted)

    @extend_schema(
        operation_id="debits_list",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Debit.Status.values)],
        summary="The firm's debits, scheduled by default (the processing permission)",
    )
    def get(self, request):
        return self.list(request)


class BatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = DebitBatch
        fields = ["id", "message_id", "created_at", "count", "control_sum"]


class BatchList(ListAPIView):
    serializer_class = BatchSerializer

    def get_queryset(self):
        _require_processing(self.request)
        return debit_batches(user=self.request.user)

    @extend_schema(operation_id="debit_batches_list", summary="The batches exported, newest first")
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="debit_batches_create",
        request=None,
        responses={201: BatchSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary=(
            "Export every scheduled debit in one pain.008.001.02 file; they are sent to the "
            "bank and locked (nothing_due when none is left, sepa_not_set_up)"
        ),
    )
    @idempotent
    def post(self, request):
        batch = actions.export_debit_batch(by=request.user)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchFile(BinaryView):
    renderer_classes = [XmlRenderer, *BinaryView.renderer_classes[1:]]

    @extend_schema(
        operation_id="debit_batches_file",
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The batch's pain.008 file, as given to the bank",
    )
    def get(self, request, pk):
        _require_processing(request)
        batch = debit_batches(user=request.user).defer(None).filter(pk=pk).first()
        if batch is None:
            raise NotFound(_("No such batch."))
        response = HttpResponse(bytes(batch.xml), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="pain008-{batch.message_id}.xml"'
        return response
