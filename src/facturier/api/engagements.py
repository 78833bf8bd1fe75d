"""The API of engagements: the list and one engagement with its missions, a new one, an
amendment, its end, the preview of its next invoices, the billing run, index values."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from facturier.core.converters import MAX_ID
from facturier.core.errors import NotFound as DomainNotFound
from facturier.engagements import actions
from facturier.engagements import selectors as engagement_selectors
from facturier.engagements.models import (
    BillingMode,
    Engagement,
    FeeKind,
    Frequency,
    Indexation,
    Instalment,
    Mission,
    PaymentMethod,
    Timing,
)
from facturier.engagements.permissions import get_visible

from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .serializers import InvoiceSerializer

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 5, "decimal_places": 2}


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = ["date", "amount"]


class MissionSerializer(serializers.ModelSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Mission
        fields = [
            "id",
            "name",
            "work_code",
            "fee_kind",
            "annual_fee",
            "vat_rate",
            "time_cap",
            "frequency",
            "timing",
            "billing_day",
            "instalments",
        ]


class EngagementSerializer(serializers.ModelSerializer):
    missions = MissionSerializer(many=True, read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "reference",
            "client",
            "responsible",
            "start_date",
            "end_date",
            "tacit_renewal",
            "notice_months",
            "payment_terms_days",
            "payment_method",
            "indexation",
            "indexation_percent",
            "index_name",
            "revision_month",
            "revision_day",
            "deposit_amount",
            "deposit_percent",
            "deposit_invoice",
            "version",
            "billing_mode",
            "paused_from",
            "next_bill_date",
            "missions",
        ]


class InstalmentWriteSerializer(serializers.Serializer):
    date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY, min_value=0)


class MissionWriteSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="A mission to change."
    )
    name = serializers.CharField(max_length=120, required=False)
    work_code = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    fee_kind = serializers.ChoiceField(choices=FeeKind.choices, required=False)
    annual_fee = serializers.DecimalField(**MONEY, min_value=0, required=False, allow_null=True)
    vat_rate = serializers.DecimalField(**RATE, min_value=0, max_value=100, required=False)
    time_cap = serializers.DecimalField(**MONEY, min_value=0, required=False, allow_null=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    timing = serializers.ChoiceField(choices=Timing.choices, required=False)
    billing_day = serializers.IntegerField(min_value=1, max_value=31, required=False)
    instalments = InstalmentWriteSerializer(
        many=True, required=False, max_length=60, help_text="Must add up to the annual fee."
    )


class EngagementWriteSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=40, required=False)
    responsible = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, allow_null=True)
    tacit_renewal = serializers.BooleanField(required=False)
    notice_months = serializers.IntegerField(min_value=0, max_value=24, required=False)
    payment_terms_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, allow_null=True
    )
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    billing_mode = serializers.ChoiceField(
        choices=BillingMode.choices,
        required=False,
        help_text="What the run does with the invoices it makes (not an amendment).",
    )
    indexation = serializers.ChoiceField(choices=Indexation.choices, required=False)
    indexation_percent = serializers.DecimalField(
        **RATE, min_value=-50, max_value=100, required=False, allow_null=True
    )
    index_name = serializers.CharField(max_length=40, required=False, allow_blank=True)
    revision_month = serializers.IntegerField(
        min_value=1, max_value=12, required=False, allow_null=True
    )
    revision_day = serializers.IntegerField(
        min_value=1, max_value=31, required=False, allow_null=True
    )
    deposit_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="A deposit asked at signature, before VAT.",
    )
    deposit_percent = serializers.DecimalField(
        **RATE,
        min_value=Decimal("0.01"),
        max_value=100,
        required=False,
        allow_null=True,
        help_text="Or the deposit as a percentage of the first year's fixed fees.",
    )
    missions = MissionWriteSerializer(many=True, required=False, max_length=50)


class EngagementCreateSerializer(EngagementWriteSerializer):
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reference = serializers.CharField(max_length=40)
    start_date = serializers.DateField()


def _split(data: dict) -> tuple[dict, list[dict]]:
    data = dict(data)
    missions = [dict(m) for m in data.pop("missions", [])]
    for mission in missions:
        if "instalments" in mission:
            mission["instalments"] = [dict(row) for row in mission["instalments"]]
    return data, missions


def _engagement(request, pk) -> Engagement:
    try:
        return get_visible(request.user, pk)
    except DomainNotFound:
        raise NotFound(_("No such engagement.")) from None


class EngagementList(ListAPIView):
    serializer_class = EngagementSerializer

    def get_queryset(self):
        return engagement_selectors.engagement_list(user=self.request.user).prefetch_related(
            "missions__instalments"
        )

    @extend_schema(operation_id="engagements_list", summary="Engagements you may see")
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="engagements_create",
        request=EngagementCreateSerializer,
        responses={201: EngagementSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="A new engagement with its missions (owner of the client and processing)",
    )
    @idempotent
    def post(self, request):
        data = EngagementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields, missions = _split(data.validated_data)
        client = fields.pop("client")
        engagement = actions.create_engagement(
            client, by=request.user, fields=fields, missions=missions
        )
        return Response(EngagementSerializer(engagement).data, status=status.HTTP_201_CREATED)


class EngagementDetail(GenericAPIView):
    serializer_class = EngagementSerializer

    @extend_schema(operation_id="engagements_retrieve")
    def get(self, request, pk):
        return Response(EngagementSerializer(_engagement(request, pk)).data)

    @extend_schema(
        operation_id="engagements_amend",
        request=EngagementWriteSerializer,
        responses={200: EngagementSerializer},
        summary="An amendment: the engagement's next version (missions with an id changed, "
        "without one added)",
    )
    def patch(self, request, pk):
        data = EngagementWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields, missions = _split(data.validated_data)
        engagement = actions.amend_engagement(pk, by=request.user, fields=fields, missions=missions)
        return Response(EngagementSerializer(_engagement(request, engagement.pk)).data)


class EndSerializer(serializers.Serializer):
    end_date = serializers.DateField()


class EngagementEnd(GenericAPIView):
    serializer_class = EndSerializer

    @extend_schema(
        operation_id="engagements_end",
        request=EndSerializer,
        responses={200: EngagementSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="End the engagement: its schedule stops there, billed periods stay billed",
    )
    @idempotent
    def post(self, request, pk):
        data = EndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        engagement = actions.end_engagement(
            pk, by=request.user, end_date=data.validated_data["end_date"]
        )
        return Response(EngagementSerializer(_engagement(request, engagement.pk)).data)


class EngagementDeposit(GenericAPIView):
    serializer_class = InvoiceSerializer  # the answer: the request has no body

    @extend_schema(
        operation_id="engagements_deposit_invoice",
        request=None,
        responses={201: InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Draft the deposit invoice the engagement asks for (once per engagement)",
    )
    @idempotent
    def post(self, request, pk):
        invoice = actions.draft_engagement_deposit(pk, by=request.user)
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)


class PreviewPeriodSerializer(serializers.Serializer):
    mission = serializers.IntegerField(source="mission.pk")
    mission_name = serializers.CharField(source="mission.name")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    days = serializers.IntegerField(source="period.days")
    full_days = serializers.IntegerField(source="period.full_days")
    part = serializers.ChoiceField(
        choices=["fixed", "time"], help_text="fixed: the fee; time: the work so far, capped."
    )
    amount = serializers.DecimalField(**MONEY)


class PreviewDepositSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    amount = serializers.DecimalField(
        **MONEY, source="total_gross", help_text="Deducted at document level, VAT included."
    )


class PreviewInvoiceSerializer(serializers.Serializer):
    bill_date = serializers.DateField()
    total = serializers.DecimalField(**MONEY)
    periods = PreviewPeriodSerializer(many=True)
    deposit = PreviewDepositSerializer(
        allow_null=True,
        help_text="The engagement's deposit invoice, received, that this invoice deducts.",
    )


class PreviewSerializer(serializers.Serializer):
    invoices = PreviewInvoiceSerializer(many=True)
    index_missing = serializers.BooleanField(
        help_text="An index value lacks: amounts after that revision are not foreseen."
    )


class EngagementPreview(GenericAPIView):
    serializer_class = PreviewSerializer

    @extend_schema(
        operation_id="engagements_preview",
        summary="The next twelve invoices, as the run will make them",
    )
    def get(self, request, pk):
        engagement = _engagement(request, pk)
        coming, missing = engagement_selectors.preview(engagement)
        coming = engagement_selectors.with_deposit(engagement, coming)
        return Response(PreviewSerializer({"invoices": coming, "index_missing": missing}).data)


class RunSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Default: today.")
    engagement = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Only this engagement (a failure's retry); default: all you manage.",
    )


class RunFailureSerializer(serializers.Serializer):
    engagement = serializers.IntegerField()
    reference = serializers.CharField()
    message = serializers.CharField()


class RunResultSerializer(serializers.Serializer):
    invoices = serializers.ListField(child=serializers.IntegerField())
    periods = serializers.IntegerField()
    failures = RunFailureSerializer(many=True)


class BilledPeriodSerializer(serializers.Serializer):
    engagement = serializers.IntegerField(source="mission.engagement.pk")
    reference = serializers.CharField(source="mission.engagement.reference")
    mission = serializers.CharField(source="mission.name")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    part = serializers.ChoiceField(choices=["fixed", "time"])
    instalment = serializers.BooleanField(
        help_text="An instalment: one payment on period_start, not a span of time."
    )
    amount = serializers.DecimalField(**MONEY)
    wip_value = serializers.DecimalField(**MONEY, help_text="Time: the entries' value.")
    written_down = serializers.DecimalField(
        **MONEY, help_text="Time: what the cap took off the entries' value."
    )
    invoice = serializers.IntegerField(
        source="invoice_id",
        allow_null=True,
        help_text="Empty: skipped while paused, or (time) no time to bill.",
    )
    late = serializers.BooleanField(help_text="Billed after its billing day.")


class StoredFailureSerializer(serializers.Serializer):
    engagement = serializers.IntegerField(source="engagement.pk")
    reference = serializers.CharField(source="engagement.reference")
    code = serializers.CharField()
    message = serializers.CharField(source="reason")
    invoice = serializers.IntegerField(
        source="invoice_id", allow_null=True, help_text="The draft kept for review, if any."
    )
    failed_at = serializers.DateTimeField()


class ComingSerializer(serializers.Serializer):
    engagement = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    next_bill_date = serializers.DateField()
    billing_mode = serializers.CharField()


class RunOverviewSerializer(serializers.Serializer):
    day = serializers.DateField()
    made = BilledPeriodSerializer(many=True)
    failures = StoredFailureSerializer(many=True)
    coming = ComingSerializer(many=True)


class EngagementRun(GenericAPIView):
    serializer_class = RunSerializer

    @extend_schema(
        operation_id="engagements_run_overview",
        responses={200: RunOverviewSerializer},
        summary="The billing run: periods billed today, failures until billed, what comes next",
    )
    def get(self, request):
        day = timezone.localdate()
        overview = engagement_selectors.run_overview(user=request.user, day=day)
        body = {
            "day": day,
            "made": overview.made,
            "failures": overview.failures,
            "coming": overview.coming,
        }
        return Response(RunOverviewSerializer(body).data)

    @extend_schema(
        operation_id="engagements_run",
        request=RunSerializer,
        responses={200: RunResultSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Bill the periods due, once each (the clients you own; processing)",
    )
    @idempotent
    def post(self, request):
        data = RunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        as_of = data.validated_data.get("as_of") or timezone.localdate()
        engagement = data.validated_data.get("engagement")
        if engagement is not None:
            engagement = _engagement(request, engagement)
        result = actions.bill_due_periods(
            request.user.firm_id, by=request.user, as_of=as_of, engagement=engagement
        )
        body = {
            "invoices": [invoice.pk for invoice in result.invoices],
            "periods": result.periods,
            "failures": [
                {"engagement": e.pk, "reference": e.reference, "message": message}
                for e, message in result.failures
            ],
        }
        return Response(RunResultSerializer(body).data)


class IndexValueSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    date = serializers.DateField()
    value = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0)


class IndexValues(GenericAPIView):
    serializer_class = IndexValueSerializer

    @extend_schema(
        operation_id="index_values_create",
        request=IndexValueSerializer,
        responses={201: IndexValueSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="An index's value from a date (settings right)",
    )
    @idempotent
    def post(self, request):
        data = IndexValueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        row = actions.save_index_value(
            values["name"], by=request.user, date=values["date"], value=values["value"]
        )
        return Response(
            IndexValueSerializer({"name": row.name, "date": row.date, "value": row.value}).data,
            status=status.HTTP_201_CREATED,
        )


class ResumeSerializer(serializers.Serializer):
    catch_up = serializers.BooleanField(
        default=False,
        help_text="Bill the periods due while paused; otherwise they are skipped.",
    )


class EngagementPause(GenericAPIView):
    serializer_class = EngagementSerializer  # the answer: the request has no body

    @extend_schema(
        operation_id="engagements_pause",
        request=None,
        responses={200: EngagementSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Pause the engagement's billing: no invoice until it resumes",
    )
    @idempotent
    def post(self, request, pk):
        engagement = actions.pause_billing(pk, by=request.user)
        return Response(EngagementSerializer(_engagement(request, engagement.pk)).data)


class EngagementResume(GenericAPIView):
    serializer_class = ResumeSerializer

    @extend_schema(
        operation_id="engagements_resume",
        request=ResumeSerializer,
        responses={200: EngagementSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Resume billing; the periods due while paused are skipped unless caught up",
    )
    @idempotent
    def post(self, request, pk):
        data = ResumeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.resume_billing(pk, by=request.user, catch_up=data.validated_data["catch_up"])
        return Response(EngagementSerializer(_engagement(request, pk)).data)
