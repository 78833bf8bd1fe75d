"""The API of budgets: an engagement's budgets per mission and fiscal year, added,
changed and removed; budget against actuals (the report); the firm's alert thresholds."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.core.converters import MAX_ID
from facturier.core.errors import Invalid
from facturier.engagements import actions
from facturier.engagements import selectors as engagement_selectors

from .engagements import _engagement
from .idempotency import IDEMPOTENCY_HEADER, idempotent

MONEY = {"max_digits": 14, "decimal_places": 2}
HOURS = {"max_digits": 9, "decimal_places": 2}
PERCENT = {"max_digits": 9, "decimal_places": 1, "allow_null": True}


class BudgetSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    mission = serializers.IntegerField(source="mission_id", min_value=1, max_value=MAX_ID)
    year = serializers.IntegerField(
        min_value=1901, max_value=2199, help_text="The fiscal year, named by the year it ends in."
    )
    hours = serializers.DecimalField(**HOURS, help_text="Budgeted hours (not negative).")
    fees = serializers.DecimalField(**MONEY, help_text="Budgeted fees (not negative).")


class BudgetChangeSerializer(serializers.Serializer):
    hours = serializers.DecimalField(**HOURS, required=False)
    fees = serializers.DecimalField(**MONEY, required=False)


class BudgetLineSerializer(serializers.Serializer):
    engagement = serializers.IntegerField(source="mission.engagement_id")
    reference = serializers.CharField(source="mission.engagement.reference")
    mission = serializers.IntegerField(source="mission.pk")
    mission_name = serializers.CharField(source="mission.name")
    year = serializers.IntegerField(source="year.year")
    start = serializers.DateField(source="year.start")
    end = serializers.DateField(source="year.end")
    calendar_year = serializers.SerializerMethodField(
        help_text="True: the firm has set no fiscal year, the calendar year stands in."
    )
    budget_hours = serializers.DecimalField(source="budget.hours", **HOURS, allow_null=True)
    budget_fees = serializers.DecimalField(source="budget.fees", **MONEY, allow_null=True)
    hours = serializers.DecimalField(**HOURS)
    hours_percent = serializers.DecimalField(**PERCENT)
    standard_value = serializers.DecimalField(source="standard", **MONEY)
    value_percent = serializers.DecimalField(**PERCENT)
    wip = serializers.DecimalField(**MONEY)
    billed_periods = serializers.DecimalField(**MONEY)
    billed_entries = serializers.DecimalField(**MONEY)
    billed = serializers.DecimalField(**MONEY)
    realization = serializers.DecimalField(
        **PERCENT, help_text="Billed ÷ standard value, in percent."
    )
    margin = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Budgeted fees less the standard value."
    )

    def get_calendar_year(self, line) -> bool:
        return not line.year.set_by_firm


YEAR = OpenApiParameter(
    "year", int, description="The fiscal year (named by the year it ends in); default: today's."
)


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1901, max_value=2199, required=False)


def _year(request):
    query = YearSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return engagement_selectors.budget_year(request.user.firm_id, query.validated_data.get("year"))


class EngagementBudgets(GenericAPIView):
    serializer_class = BudgetSerializer
    pagination_class = None  # one row per mission of one engagement

    @extend_schema(
        operation_id="engagement_budgets_list",
        parameters=[YEAR],
        responses={200: BudgetLineSerializer(many=True)},
        summary="Each mission's budget against actuals for a fiscal year",
    )
    def get(self, request, pk):
        engagement = _engagement(request, pk)
        lines = engagement_selectors.engagement_budgets(engagement, _year(request))
        return Response(BudgetLineSerializer(lines, many=True).data)

    @extend_schema(
        operation_id="engagement_budgets_create",
        request=BudgetSerializer,
        responses={201: BudgetSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="A mission's budget for a fiscal year (owner of the client and processing)",
    )
    @idempotent
    def post(self, request, pk):
        engagement = _engagement(request, pk)
        data = BudgetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        mission = values["mission_id"]
        if not engagement.missions.filter(pk=mission).exists():
            raise Invalid({"mission": [_("No such mission.")]}, codes={"mission": ["not_found"]})
        budget = actions.add_budget(
            mission,
            by=request.user,
            year=values["year"],
            hours=values["hours"],
            fees=values["fees"],
        )
        return Response(BudgetSerializer(budget).data, status=status.HTTP_201_CREATED)


class BudgetDetail(GenericAPIView):
    serializer_class = BudgetChangeSerializer

    @extend_schema(
        operation_id="budgets_partial_update",
        request=BudgetChangeSerializer,
        responses={200: BudgetSerializer},
        summary="New budgeted hours or fees",
    )
    def patch(self, request, pk):
        data = BudgetChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        budget = actions.change_budget(pk, by=request.user, **data.validated_data)
        return Response(BudgetSerializer(budget).data)

    @extend_schema(operation_id="budgets_destroy", responses={204: None}, summary="Remove a budget")
    def delete(self, request, pk):
        actions.remove_budget(pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BudgetReport(GenericAPIView):
    serializer_class = BudgetLineSerializer
    pagination_class = None  # one row per mission with a budget or time in the year

    @extend_schema(
        operation_id="budget_report",
        parameters=[YEAR],
        responses={200: BudgetLineSerializer(many=True)},
        summary="Budget against actuals of every mission you may see with a budget or time",
    )
    def get(self, request):
        lines = engagement_selectors.budget_report(user=request.user, year=_year(request))
        return Response(BudgetLineSerializer(lines, many=True).data)


class ThresholdsSerializer(serializers.Serializer):
    first = serializers.IntegerField(min_value=1, max_value=999, help_text="Percent; default 80.")
    second = serializers.IntegerField(
        min_value=1, max_value=999, help_text="Percent, above the first; default 100."
    )


class BudgetThresholds(GenericAPIView):
    serializer_class = ThresholdsSerializer

    def get_object(self):  # OPTIONS describes PUT with the firm's thresholds
        return engagement_selectors.thresholds(self.request.user.firm_id)

    @extend_schema(operation_id="budget_thresholds_retrieve", summary="The alert thresholds")
    def get(self, request):
        levels = engagement_selectors.thresholds(request.user.firm_id)
        return Response(ThresholdsSerializer(levels).data)

    @extend_schema(
        operation_id="budget_thresholds_update",
        request=ThresholdsSerializer,
        responses={200: ThresholdsSerializer},
        summary="Set the alert thresholds (settings right)",
    )
    def put(self, request):
        data = ThresholdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        levels = actions.set_budget_thresholds(by=request.user, **data.validated_data)
        return Response(ThresholdsSerializer(levels).data)
