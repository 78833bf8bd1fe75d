"""Budgets of missions per fiscal year, and the firm's alert thresholds."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from facturier.core import fiscal, reading
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import Invalid, NotFound
from facturier.core.formatting import for_reader
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from ..models import Budget, BudgetThresholds, Engagement, Mission
from ..permissions import manage_refusal, visible_engagements

LARGEST_HOURS = Decimal("9999999.99")
LARGEST_FEES = Decimal("999999999999.99")


def _amount(value, field: str, largest: Decimal) -> Decimal:
    """A positive amount or zero, to the hundredth ("1 200,50" or 1200.5)."""
    amount = value if isinstance(value, Decimal) else reading.decimal(value)
    if amount is None or not amount.is_finite():
        raise Invalid({field: [_("Enter a number.")]}, codes={field: ["invalid"]})
    if amount < 0:
        raise Invalid({field: [_("A budget cannot be negative.")]}, codes={field: ["negative"]})
    if amount > largest or amount != amount.quantize(Decimal("0.01")):
        raise Invalid(
            {field: [_("Enter a number with at most two decimals.")]},
            codes={field: ["invalid"]},
        )
    return amount


def _managed_mission(mission: Mission | int, by: User) -> Mission:
    found = (
        Mission.objects.filter(
            engagement__in=visible_engagements(by), pk=row_id(getattr(mission, "pk", mission))
        )
        .select_related("engagement")
        .first()
    )
    if found is None:
        raise NotFound(_("No such mission."))
    refusal = manage_refusal(by, found.engagement.client_id)
    if refusal is not None:
        raise refusal
    return found


def _check_year(engagement: Engagement, year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise Invalid({"year": [_("Enter a year.")]}, codes={"year": ["invalid"]}) from None
    if not 1900 < year < 2200:
        raise Invalid({"year": [_("Enter a year.")]}, codes={"year": ["invalid"]})
    span = fiscal.fiscal_year(engagement.firm_id, year)
    ends_before = engagement.end_date is not None and engagement.end_date < span.start
    if ends_before or engagement.start_date > span.end:
        raise Invalid(
            {
                "year": [
                    _("The fiscal year %(year)s (%(start)s – %(end)s) is outside the engagement.")
                    % {
                        "year": year,
                        "start": for_reader().date(span.start),
                        "end": for_reader().date(span.end),
                    }
                ]
            },
            codes={"year": ["outside_engagement"]},
        )
    return year


@action
def add_budget(
    mission: Mission | int, *, by: User, year: int, hours: Decimal | str, fees: Decimal | str
) -> Budget:
    """A mission's budget for a fiscal year (one per year: a second is refused)."""
    mission = _managed_mission(mission, by)
    budget = Budget(
        mission=mission,
        year=_check_year(mission.engagement, year),
        hours=_amount(hours, "hours", LARGEST_HOURS),
        fees=_amount(fees, "fees", LARGEST_FEES),
    )
    duplicate = Invalid(
        {"year": [_("This mission has a budget for %(year)s already.") % {"year": budget.year}]},
        codes={"year": ["duplicate"]},
    )
    if Budget.objects.filter(mission=mission, year=budget.year).exists():
        raise duplicate
    try:
        with transaction.atomic():
            budget.save()
    except IntegrityError:  # the same budget typed at the same moment elsewhere
        raise duplicate from None
    _record("budget.added", budget, by)
    return budget


def _record(name: str, budget: Budget, by: User) -> None:
    audit.record(
        name,
        budget.mission.engagement,
        by=by,
        firm_id=budget.mission.engagement.firm_id,
        details={
            "mission": budget.mission.name,
            "year": budget.year,
            "hours": budget.hours,
            "fees": budget.fees,
        },
    )


def _managed_budget(budget: Budget | int, by: User) -> Budget:
    found = Budget.objects.filter(pk=row_id(getattr(budget, "pk", budget))).first()
    if found is None:
        raise NotFound(_("No such budget."))
    mission = _managed_mission(found.mission_id, by)
    locked = Budget.objects.select_for_update().get(pk=found.pk)
    locked.mission = mission
    return locked


@action
def change_budget(
    budget: Budget | int,
    *,
    by: User,
    hours: Decimal | str | None = None,
    fees: Decimal | str | None = None,
) -> Budget:
    """New budgeted hours or fees (the year stays; another year is another budget)."""
    budget = _managed_budget(budget, by)
    if hours is not None:
        budget.hours = _amount(hours, "hours", LARGEST_HOURS)
    if fees is not None:
        budget.fees = _amount(fees, "fees", LARGEST_FEES)
    budget.save()
    _record("budget.changed", budget, by)
    return budget


@action
def remove_budget(budget: Budget | int, *, by: User) -> None:
    budget = _managed_budget(budget, by)
    _record("budget.removed", budget, by)
    budget.delete()


@action
def set_budget_thresholds(*, by: User, first: int | str, second: int | str) -> BudgetThresholds:
    """The percentages of a budget at which the engagement's responsible is told."""
    require_settings_right(by)
    values = {}
    for name, value in (("first", first), ("second", second)):
        try:
            values[name] = int(str(value).strip())
        except (TypeError, ValueError):
            values[name] = 0
        if not 1 <= values[name] <= 999:
            raise Invalid(
                {name: [_("Enter a percentage between 1 and 999.")]}, codes={name: ["invalid"]}
            )
    if values["first"] >= values["second"]:
        raise Invalid(
            {"second": [_("The second threshold must be above the first.")]},
            codes={"second": ["threshold_order"]},
        )
    row = BudgetThresholds.objects.filter(firm_id=by.firm_id).first()
    row = row or BudgetThresholds(firm_id=by.firm_id)
    row.first, row.second = values["first"], values["second"]
    row.save()
    audit.record("budget.thresholds_set", row, by=by, firm_id=by.firm_id, details=dict(values))
    return row
