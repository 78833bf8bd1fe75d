"""The API's side of Billing → E-reporting: the reports built for each period, their
files, a correction and a retry (einvoicing/ereporting.py says what they hold)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from facturier.clients.permissions import can_process
from facturier.core.errors import NotFound
from facturier.einvoicing import ereporting
from facturier.einvoicing.models import EReport

from .views import BinaryView, XmlRenderer

NEEDS_PROCESSING = "E-reporting covers the whole firm: it needs the processing permission."


class EReportSerializer(serializers.ModelSerializer):
    lines = serializers.IntegerField(source="summary.lines", read_only=True)
    totals = serializers.DictField(
        source="summary.totals",
        child=serializers.CharField(),
        read_only=True,
        help_text="Per currency: sales before VAT, or money received (in euros).",
    )

    class Meta:
        model = EReport
        fields = [
            "id",
            "kind",
            "start",
            "end",
            "version",
            "reason",
            "lines",
            "totals",
            "status",
            "deposited_at",
            "flow_id",
            "answer",
            "answer_reasons",
            "last_error",
            "created_at",
        ]


def _reports(request):
    if not can_process(request.user):
        raise PermissionDenied(NEEDS_PROCESSING)
    return EReport.objects.filter(firm_id=request.user.firm_id)


def _report(request, pk) -> EReport:
    report = _reports(request).filter(pk=pk).first()
    if report is None:
        raise NotFound(_("No such e-reporting file."))
    return report


class EReportList(ListAPIView):
    serializer_class = EReportSerializer

    def get_queryset(self):
        reports = _reports(self.request).order_by("-start", "kind", "-version")
        kind = self.request.query_params.get("kind")
        if kind is None:
            return reports
        if kind not in EReport.Kind.values:
            raise ValidationError({"kind": [f"One of {', '.join(EReport.Kind.values)}."]})
        return reports.filter(kind=kind)

    @extend_schema(
        operation_id="ereports_list",
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=EReport.Kind.values)],
        summary=(
            "The e-reporting files built for each ended period (newest first): sales to "
            "private persons, money received on services; where each stands with the "
            "platform. The processing permission."
        ),
    )
    def get(self, request):
        return self.list(request)


class EReportFile(BinaryView):
    renderer_classes = [XmlRenderer, *BinaryView.renderer_classes[1:]]

    @extend_schema(
        operation_id="ereports_file",
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The file as deposited (flow-10 layout)",
    )
    def get(self, request, pk):
        report = _report(request, pk)
        response = HttpResponse(bytes(report.content), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{report.tracking_id}.xml"'
        return response


class CorrectionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the period goes again.")


class EReportCorrect(GenericAPIView):
    serializer_class = CorrectionSerializer

    @extend_schema(
        operation_id="ereports_correct",
        responses={201: EReportSerializer},
        summary=(
            "Send the period again, whole, as it stands now (TypeCode RE): the settings "
            "right, once the last version is deposited (not_sent_yet), and only if the "
            "period says something else (unchanged)"
        ),
    )
    def post(self, request, pk):
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        corrected = ereporting.correct_report(
            _report(request, pk), by=request.user, reason=data.validated_data["reason"]
        )
        return Response(EReportSerializer(corrected).data, status=status.HTTP_201_CREATED)


class EReportRetry(GenericAPIView):
    serializer_class = EReportSerializer

    @extend_schema(
        operation_id="ereports_retry",
        request=None,
        responses={202: EReportSerializer},
        summary="Queue a failed deposit again (not_retryable once deposited)",
    )
    def post(self, request, pk):
        report = ereporting.retry_report(_report(request, pk), by=request.user)
        return Response(EReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)
