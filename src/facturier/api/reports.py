"""What the pages of receivables do, in the API: reminders (send now, levels, pauses,
letters and their PDFs), statements of account, exports (CSV, XLSX, FEC), the aging,
the overview's figures and realization. Each operation reads the selectors and calls
the actions the pages call, with the same rights."""

import datetime

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.clients.permissions import visible_clients
from facturier.core.converters import MAX_ID
from facturier.core.errors import NotAllowed
from facturier.invoicing.permissions import visible_invoices
from facturier.invoicing.realization import realization
from facturier.receivables import actions as receivables
from facturier.receivables import exports, fec
from facturier.receivables.aging import BUCKETS, aging, aging_csv, aging_workbook
from facturier.receivables.models import ReminderLevel
from facturier.receivables.overview import overview
from facturier.receivables.permissions import payment_refusal, visible_payments
from facturier.receivables.selectors import account_statement, visible_letter

from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .views import BinaryView

EARLIEST = datetime.date(1900, 1, 1)
PDF = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _require_processing(user) -> None:
    refusal = payment_refusal(user)
    if refusal is not None:
        raise refusal


# --- the aging, the overview, realization ----------------------------------------------


class Query(serializers.Serializer):
    """Query parameters: one given empty is refused, never read as absent."""

    def to_internal_value(self, data):
        blank = {
            name: ["Give a value, or leave the parameter out."]
            for name in self.fields
            if name in data and data.get(name) in ("", None)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class DayQuery(Query):
    day = serializers.DateField(required=False, help_text="Default: today.")


class AgingRowSerializer(serializers.Serializer):
    client = serializers.IntegerField(allow_null=True)
    client_name = serializers.CharField()
    currency = serializers.CharField()
    buckets = serializers.ListField(child=serializers.DecimalField(max_digits=16, decimal_places=2))
    total = serializers.DecimalField(max_digits=16, decimal_places=2)


class AgingSerializer(serializers.Serializer):
    day = serializers.DateField()
    buckets = serializers.ListField(child=serializers.CharField())
    rows = AgingRowSerializer(many=True)
    totals = AgingRowSerializer(many=True)


def _row(row) -> dict:
    return {
        "client": row.client_id or None,
        "client_name": row.client,
        "currency": row.currency,
        "buckets": row.buckets,
        "total": row.total,
    }


def _day(request) -> datetime.date:
    query = DayQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    today = timezone.localdate()
    return max(min(query.validated_data.get("day") or today, today), EARLIEST)


class Aging(GenericAPIView):
    serializer_class = AgingSerializer

    @extend_schema(
        operation_id="aging_retrieve",
        parameters=[DayQuery],
        summary="What each client owed on a day, in five buckets, per currency",
    )
    def get(self, request):
        result = aging(user=request.user, day=_day(request))
        return Response(
            AgingSerializer(
                {
                    "day": result.day,
                    "buckets": [str(label) for label, _first, _last in BUCKETS],
                    "rows": [_row(row) for row in result.rows],
                    "totals": [_row(row) for row in result.totals.values()],
                }
            ).data
        )


class AgingFileQuery(DayQuery):
    format = serializers.ChoiceField(choices=["csv", "xlsx"], help_text="CSV or XLSX.")


class AgingFile(BinaryView):
    @extend_schema(
        operation_id="aging_file",
        parameters=[AgingFileQuery],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY),
        },
        summary="The aging of a day as a CSV or XLSX file, as the Aging tab exports it",
    )
    def get(self, request):
        query = AgingFileQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = aging(user=request.user, day=_day(request))
        name = f"aging-{result.day.isoformat()}"
        if query.validated_data["format"] == "xlsx":
            return _file(aging_workbook(result), f"{name}.xlsx", XLSX)
        return _file(aging_csv(result), f"{name}.csv", "text/csv; charset=utf-8")


class AmountSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class MonthSerializer(serializers.Serializer):
    end = serializers.DateField()
    collected = serializers.DecimalField(max_digits=16, decimal_places=2)
    dso = serializers.IntegerField(allow_null=True, help_text="Days sales outstanding.")


class OverviewSerializer(serializers.Serializer):
    day = serializers.DateField()
    currency = serializers.CharField()
    outstanding = AmountSerializer(many=True)
    overdue = AmountSerializer(many=True)
    collected_this_month = AmountSerializer(many=True)
    dso = serializers.IntegerField(allow_null=True, help_text="Days sales outstanding.")
    wip = serializers.DecimalField(max_digits=16, decimal_places=2)
    months = MonthSerializer(many=True)


def _amounts(per_currency: dict) -> list[dict]:
    return [{"currency": c, "amount": a} for c, a in sorted(per_currency.items())]


class Overview(GenericAPIView):
    serializer_class = OverviewSerializer

    @extend_schema(
        operation_id="overview_retrieve",
        summary="Outstanding, overdue, collected this month, DSO and the last twelve months",
    )
    def get(self, request):
        currency = request.user.firm.default_currency if request.user.firm_id else "EUR"
        data = overview(user=request.user, day=timezone.localdate(), currency=currency)
        return Response(
            OverviewSerializer(
                {
                    "day": data.day,
                    "currency": data.currency,
                    "outstanding": _amounts(data.outstanding),
                    "overdue": _amounts(data.overdue),
                    "collected_this_month": _amounts(data.collected),
                    "dso": data.dso,
                    "wip": data.wip,
                    "months": data.months,
                }
            ).data
        )


class PeriodQuery(Query):
    start = serializers.DateField(required=False, help_text="Default: 1 January this year.")
    end = serializers.DateField(required=False, help_text="Default: today.")

    def validate(self, data):
        today = timezone.localdate()
        start = data.get("start") or today.replace(month=1, day=1)
        end = data.get("end") or today
        if start > end:
            raise serializers.ValidationError(
                {"end": ["The period must end on or after its start."]}
            )
        if (end - start).days > 3660:
            raise serializers.ValidationError({"start": [_("At most ten years at a time.")]})
        return {"start": start, "end": end}


class RealizationRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Standard value.")
    billed = serializers.DecimalField(max_digits=16, decimal_places=2)
    rate = serializers.DecimalField(
        max_digits=8, decimal_places=4, allow_null=True, help_text="Billed ÷ standard value."
    )


class RealizationSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    groups = serializers.DictField(child=RealizationRowSerializer(many=True))


class Realization(GenericAPIView):
    serializer_class = RealizationSerializer

    @extend_schema(
        operation_id="realization_retrieve",
        parameters=[PeriodQuery],
        summary="Billed ÷ standard value, per invoice, client and staff member",
    )
    def get(self, request):
        query = PeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        groups = realization(user=request.user, start=start, end=end)
        return Response(
            RealizationSerializer(
                {
                    "start": start,
                    "end": end,
                    "groups": {
                        name: [
                            {
                                "label": row.label,
                                "value": row.value,
                                "billed": row.billed,
                                "rate": row.rate,
                            }
                            for row in rows
                        ]
                        for name, rows in groups.items()
                    },
                }
            ).data
        )


# --- statements of account ---------------------------------------------------------------


def _client(request, pk: int):
    client = visible_clients(request.user).select_related("firm").filter(pk=pk).first()
    if client is None:
        raise NotFound(_("No such client."))
    return client


class StatementOfAccountPdf(BinaryView):
    @extend_schema(
        operation_id="clients_statement_of_account_pdf",
        parameters=[PeriodQuery],
        responses=PDF,
        summary="A client's statement of account for a period, as a PDF",
    )
    def get(self, request, pk):
        client = _client(request, pk)
        query = PeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        statement = account_statement(client, client.currency, start, end, user=request.user)
        pdf = receivables.statement_of_account_pdf(
            statement, language=client.language, day=timezone.localdate()
        )
        return _file(pdf, f"statement-{end.isoformat()}.pdf", "application/pdf")


class LetterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.CharField()
    day = serializers.DateField()
    to = serializers.ListField(child=serializers.EmailField())
    subject = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(help_text="What the server said last, if it refused.")
    held_since = serializers.DateTimeField(
        allow_null=True, help_text="Set while the mail settings hold it (none is lost)."
    )


def _letter(letter) -> dict:
    return LetterSerializer(letter).data


class StatementOfAccountSend(GenericAPIView):
    serializer_class = PeriodQuery

    @extend_schema(
        operation_id="clients_statement_of_account_send",
        request=PeriodQuery,
        responses={202: LetterSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="E-mail a client's statement of account (needs the processing permission)",
    )
    @idempotent
    def post(self, request, pk):
        client = _client(request, pk)
        data = PeriodQuery(data=request.data)
        data.is_valid(raise_exception=True)
        letter = receivables.send_statement_of_account(
            client,
            by=request.user,
            start=data.validated_data["start"],
            end=data.validated_data["end"],
        )
        return Response(_letter(letter), status=status.HTTP_202_ACCEPTED)


# --- reminders ---------------------------------------------------------------------------


class ReminderSerializer(serializers.Serializer):
    invoices = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=500
    )
    subject = serializers.CharField(required=False, max_length=250)
    message = serializers.CharField(required=False, max_length=10000)
    language = serializers.ChoiceField(choices=["fr", "en"], required=False)
    to = serializers.ListField(child=serializers.EmailField(), required=False, max_length=20)


class ReminderSend(GenericAPIView):
    serializer_class = ReminderSerializer

    @extend_schema(
        operation_id="reminders_send",
        responses={202: LetterSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="A reminder now, for overdue invoices of one client, each at its next level",
    )
    @idempotent
    def post(self, request):
        data = ReminderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        letter = receivables.send_reminder_now(fields.pop("invoices"), by=request.user, **fields)
        return Response(_letter(letter), status=status.HTTP_202_ACCEPTED)


class LevelSerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=-365, max_value=365, help_text="Before (negative) or after the due date."
    )
    subject_fr = serializers.CharField(max_length=250, allow_blank=True)
    message_fr = serializers.CharField(max_length=10000, allow_blank=True)
    subject_en = serializers.CharField(max_length=250, allow_blank=True)
    message_en = serializers.CharField(max_length=10000, allow_blank=True)
    attach_invoice = serializers.BooleanField(required=False, default=True)


class LevelsSerializer(serializers.Serializer):
    levels = LevelSerializer(many=True, max_length=20)


class ReminderLevels(GenericAPIView):
    serializer_class = LevelsSerializer

    def get_object(self):  # the firm's levels, not a row: OPTIONS asks for one
        return None

    @extend_schema(operation_id="reminder_levels_retrieve", summary="The firm's reminder levels")
    def get(self, request):
        rows = ReminderLevel.objects.filter(firm_id=request.user.firm_id).order_by("days")
        levels = [{name: getattr(row, name) for name in LevelSerializer().fields} for row in rows]
        return Response({"levels": levels})

    @extend_schema(
        operation_id="reminder_levels_update",
        summary="Set the firm's reminder levels (needs the settings right)",
    )
    def put(self, request):
        data = LevelsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not request.user.firm_id:
            raise NotAllowed()
        receivables.save_levels(
            request.user.firm_id, by=request.user, levels=data.validated_data["levels"]
        )
        return self.get(request)


class PauseSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    paused = serializers.BooleanField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, data):
        if ("invoice" in data) == ("client" in data):
            raise serializers.ValidationError("Name an invoice or a client, not both.")
        return data


class ReminderPause(GenericAPIView):
    serializer_class = PauseSerializer

    @extend_schema(
        operation_id="reminder_pauses_set",
        responses={204: None},
        summary="Pause or resume the reminders of an invoice or a client",
    )
    def post(self, request):
        data = PauseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if "invoice" in fields:
            target = visible_invoices(request.user).filter(pk=fields["invoice"]).first()
        else:
            target = visible_clients(request.user).filter(pk=fields["client"]).first()
        if target is None:
            raise NotFound(_("No such invoice or client."))
        receivables.set_pause(
            target, by=request.user, paused=fields["paused"], reason=fields["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LetterPdf(BinaryView):
    @extend_schema(
        operation_id="letters_pdf", responses=PDF, summary="A reminder or statement letter's PDF"
    )
    def get(self, request, pk):
        letter = visible_letter(user=request.user, pk=pk)
        if letter is None:
            raise NotFound(_("No such letter."))
        return _file(bytes(letter.pdf), letter.filename, "application/pdf")


# --- exports -----------------------------------------------------------------------------


class ExportQuery(PeriodQuery):
    kind = serializers.ChoiceField(
        choices=["documents", "payments"], help_text="Invoices and credit notes, or payments."
    )


class Export(BinaryView):
    @extend_schema(
        operation_id="exports_csv",
        parameters=[ExportQuery],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The invoices and credit notes, or the payments, of a period as CSV",
    )
    def get(self, request):
        query = ExportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        if request.query_params.get("kind") == "payments":
            rows = exports.payment_rows(visible_payments(request.user), start, end)
        else:
            rows = exports.document_rows(visible_invoices(request.user), start, end)
        name = f"{request.query_params.get('kind')}-{start.isoformat()}-{end.isoformat()}.csv"
        return _file(
            "".join(["\ufeff", *exports.csv_lines(rows)]).encode(), name, "text/csv; charset=utf-8"
        )


class FecQuery(Query):
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="The fiscal year.")


class Fec(BinaryView):
    @extend_schema(
        operation_id="exports_fec",
        parameters=[
            FecQuery,
            OpenApiParameter(
                "X-Transliterated",
                int,
                OpenApiParameter.HEADER,
                response=[200],
                description="How many names, numbers or references ISO 8859-15 cannot hold "
                "were written with their nearest letters.",
            ),
            OpenApiParameter(
                "X-Left-Out",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description="Documents and payments in another currency that no exchange "
                "rate states, left out: `documents=N; payments=M` (absent: none).",
            ),
        ],
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The FEC of a fiscal year, in ISO 8859-15 (needs the processing permission)",
    )
    def get(self, request):
        _require_processing(request.user)
        query = FecQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        firm = request.user.firm
        start, end = fec.fiscal_year(fec.ledger_for(firm.pk), query.validated_data["year"])
        response = StreamingHttpResponse(
            fec.fec_bytes(firm.pk, start, end), content_type=fec.CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="{fec.fec_filename(firm, end)}"'
        # Said before the file: what it could not book, the values written in
        # ISO 8859-15's nearest letters.
        for name, value in fec.notice(firm.pk, start, end).headers().items():
            response[name] = value
        return response
