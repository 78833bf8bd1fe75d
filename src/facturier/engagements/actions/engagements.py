"""Engagements made, amended (a new version) and ended; their missions and schedules."""

import calendar
import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from facturier.clients.models import Client
from facturier.clients.permissions import visible_clients
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import Invalid, NotFound
from facturier.core.formatting import Formatter
from facturier.firms import audit
from facturier.firms.models import User
from facturier.work.models import WorkCode

from ..entry_missions import tie_earlier_entries
from ..models import Engagement, FeeKind, Frequency, Indexation, Instalment, Mission
from ..permissions import NO_SUCH_ENGAGEMENT, get_visible, manage_refusal
from ..selectors import billed_in_open_periods
from .letters import end_letters
from .upcoming import refresh_next_bill_date

ENGAGEMENT_FIELDS = (
    "reference",
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
    "billing_mode",
)
# How the run treats the engagement, not what was agreed: no new version when changed.
OPERATING_FIELDS = frozenset({"billing_mode"})
MISSION_FIELDS = (
    "name",
    "work_code",
    "fee_kind",
    "annual_fee",
    "vat_rate",
    "time_cap",
    "frequency",
    "timing",
    "billing_day",
)


def _require(refusal) -> None:
    if refusal is not None:
        raise refusal


def _client(client: Client | int, by: User) -> Client:
    found = visible_clients(by).filter(pk=row_id(getattr(client, "pk", client))).first()
    if found is None:
        raise Invalid({"client": [_("No such client.")]}, codes={"client": ["does_not_exist"]})
    _require(manage_refusal(by, found.pk))
    return found


def _check(instance, *, prefix: str = "", exclude=()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        raise Invalid.from_django(exc, prefix=prefix) from None


def _apply(engagement: Engagement, fields: Mapping[str, Any], by: User) -> None:
    unknown = set(fields) - set(ENGAGEMENT_FIELDS)
    if unknown:
        raise Invalid({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    for name, value in fields.items():
        if name == "responsible":
            staff = User.objects.filter(firm_id=by.firm_id, pk=row_id(getattr(value, "pk", value)))
            value = staff.first()
            if value is None:
                raise Invalid(
                    {"responsible": [_("No such staff member.")]},
                    codes={"responsible": ["does_not_exist"]},
                )
        setattr(engagement, name, value)
    engagement.reference = str(engagement.reference or "").strip()
    _check(engagement, exclude=["firm", "client"])
    _check_term(engagement)
    _check_indexation(engagement)
    if engagement.deposit_amount is not None and engagement.deposit_percent is not None:
        raise Invalid(
            {"deposit_percent": [_("Give an amount or a percentage, not both.")]},
            codes={"deposit_percent": ["conflict"]},
        )
    taken = Engagement.objects.filter(firm_id=engagement.firm_id, reference=engagement.reference)
    if taken.exclude(pk=engagement.pk).exists():
        raise Invalid(
            {
                "reference": [
                    _("The reference %(reference)s is used already.")
                    % {"reference": engagement.reference}
                ]
            },
            codes={"reference": ["duplicate"]},
        )


# The dates an engagement may name: within them, a schedule's arithmetic never overflows.
EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)


def _check_range(field: str, day: datetime.date | None) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise Invalid(
            {field: [_("Enter a date between 1900 and 2199.")]}, codes={field: ["out_of_range"]}
        )


def _check_term(engagement: Engagement) -> None:
    _check_range("start_date", engagement.start_date)
    _check_range("end_date", engagement.end_date)
    if engagement.end_date and engagement.end_date < engagement.start_date:
        raise Invalid(
            {"end_date": [_("The end date comes before the start date.")]},
            codes={"end_date": ["end_before_start"]},
        )
    if engagement.end_date is None and not engagement.tacit_renewal:
        raise Invalid(
            {"end_date": [_("Give an end date, or choose tacit renewal.")]},
            codes={"end_date": ["term_required"]},
        )


def _check_indexation(engagement: Engagement) -> None:
    if engagement.indexation == Indexation.PERCENT and engagement.indexation_percent is None:
        raise Invalid(
            {"indexation_percent": [_("Give the yearly revision's percentage.")]},
            codes={"indexation_percent": ["required"]},
        )
    if engagement.indexation == Indexation.INDEX and not engagement.index_name.strip():
        raise Invalid(
            {"index_name": [_("Name the index the fees follow.")]},
            codes={"index_name": ["required"]},
        )
    if (engagement.revision_month is None) != (engagement.revision_day is None):
        raise Invalid(
            {"revision_day": [_("Give both the day and the month of the revision, or neither.")]},
            codes={"revision_day": ["incomplete"]},
        )
    if engagement.revision_month is not None and engagement.revision_day is not None:
        month, day = engagement.revision_month, engagement.revision_day
        if 1 <= month <= 12 and day > calendar.monthrange(2028, month)[1]:  # a leap year
            raise Invalid(
                {"revision_day": [_("This month has no such day.")]},
                codes={"revision_day": ["no_such_day"]},
            )


def _decimal(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid({field: [_("Enter a number.")]}) from None


def _mission(engagement: Engagement, data: Mapping[str, Any], index: int) -> Mission:
    prefix = f"missions.{index}."
    unknown = set(data) - {*MISSION_FIELDS, "id", "instalments"}
    if unknown:
        raise Invalid({prefix + name: [_("This field cannot be set.")] for name in sorted(unknown)})
    mission = Mission(engagement=engagement)
    if data.get("id"):
        mission = engagement.missions.filter(pk=row_id(data["id"])).first()
        if mission is None:
            raise Invalid(
                {prefix + "id": [_("No such mission.")]}, codes={prefix + "id": ["does_not_exist"]}
            )
    for name in MISSION_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in ("annual_fee", "vat_rate", "time_cap"):
            value = _decimal(value, prefix + name)
        if name == "work_code":
            value = _work_code(engagement, value, prefix)
        setattr(mission, name, value)
    mission.position = index
    _check(mission, prefix=prefix, exclude=["engagement"])
    if mission.fee_kind == FeeKind.FIXED and mission.time_cap is not None:
        raise Invalid(
            {prefix + "time_cap": [_("A cap limits billed time: this mission's fee is fixed.")]},
            codes={prefix + "time_cap": ["cap_without_time"]},
        )
    _check_cap(mission, prefix)
    if mission.has_fixed_fee and mission.annual_fee is None:
        raise Invalid(
            {prefix + "annual_fee": [_("A fixed fee needs its annual amount.")]},
            codes={prefix + "annual_fee": ["fee_required"]},
        )
    return mission


def _check_cap(mission: Mission, prefix: str) -> None:
    """A cap is "not to exceed" per period: never below what a period still open has
    billed already (by hand, from WIP)."""
    if mission.pk is None or mission.time_cap is None or mission.fee_kind == FeeKind.FIXED:
        return
    already, period = billed_in_open_periods(mission, today=timezone.localdate())
    if period is not None and mission.time_cap < already:
        fmt = Formatter(get_language() or "en", mission.engagement.client.currency)
        raise Invalid(
            {
                prefix + "time_cap": [
                    _(
                        "The cap is below what is already billed for the period from "
                        "%(start)s to %(end)s: %(billed)s."
                    )
                    % {
                        "start": fmt.date(period.start),
                        "end": fmt.date(period.end),
                        "billed": fmt.money(already),
                    }
                ]
            },
            codes={prefix + "time_cap": ["cap_below_billed"]},
        )


def _work_code(engagement: Engagement, value, prefix: str) -> WorkCode | None:
    if value in (None, ""):
        return None
    code = WorkCode.objects.filter(
        firm_id=engagement.firm_id, pk=row_id(getattr(value, "pk", value))
    ).first()
    if code is None:
        raise Invalid(
            {prefix + "work_code": [_("No such work code.")]},
            codes={prefix + "work_code": ["does_not_exist"]},
        )
    return code


def _instalments(
    mission: Mission, data: Sequence[Mapping[str, Any]], index: int
) -> list[Instalment]:
    prefix = f"missions.{index}.instalments"
    if mission.frequency != Frequency.INSTALMENTS or not mission.has_fixed_fee:
        return []
    rows = []
    for row in data:
        date, amount = row.get("date"), _decimal(row.get("amount"), prefix)
        if isinstance(date, str):
            try:
                date = datetime.date.fromisoformat(date)
            except ValueError:
                raise Invalid({prefix: [_("Enter a valid date.")]}) from None
        if not isinstance(date, datetime.date) or amount is None or amount < 0:
            raise Invalid({prefix: [_("Each instalment needs a date and an amount.")]})
        _check_range(prefix, date)
        _check_within_term(mission.engagement, date, prefix)
        rows.append(Instalment(mission=mission, date=date, amount=amount))
    if not rows:
        raise Invalid({prefix: [_("List the instalments.")]}, codes={prefix: ["required"]})
    total = sum((row.amount for row in rows), Decimal(0))
    if total != mission.annual_fee:
        fmt = Formatter(get_language() or "en", mission.engagement.client.currency)
        raise Invalid(
            {
                prefix: [
                    _(
                        "The instalments add up to %(total)s, not the annual fee %(fee)s "
                        "(a difference of %(difference)s)."
                    )
                    % {
                        "total": fmt.money(total),
                        "fee": fmt.money(mission.annual_fee),
                        "difference": fmt.money(mission.annual_fee - total),
                    }
                ]
            },
            codes={prefix: ["instalments_sum"]},
        )
    return rows


def _check_within_term(engagement: Engagement, date: datetime.date, field: str) -> None:
    """An instalment falls within the engagement's term: one dated before its start (or
    after its end) would bill a period that ends before it begins."""
    if engagement.start_date is None:
        return
    fmt = Formatter(get_language() or "en", engagement.client.currency)
    if date < engagement.start_date:
        raise Invalid(
            {
                field: [
                    _("The instalment of %(date)s is before the engagement starts (%(start)s).")
                    % {"date": fmt.date(date), "start": fmt.date(engagement.start_date)}
                ]
            },
            codes={field: ["instalment_before_start"]},
        )
    if engagement.end_date is not None and date > engagement.end_date:
        raise Invalid(
            {
                field: [
                    _("The instalment of %(date)s is after the engagement ends (%(end)s).")
                    % {"date": fmt.date(date), "end": fmt.date(engagement.end_date)}
                ]
            },
            codes={field: ["instalment_after_end"]},
        )


def _given_instalments(mission: Mission, data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The instalments given, else (an amendment that leaves them) those agreed."""
    if "instalments" in data or mission.pk is None:
        return list(data.get("instalments") or ())
    return [{"date": row.date, "amount": row.amount} for row in mission.instalments.all()]


def _save_missions(engagement: Engagement, missions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Saves every mission given (all checked first); returns the names of those changed."""
    built = []
    for index, data in enumerate(missions):
        before = None
        if data.get("id"):
            known = engagement.missions.filter(pk=row_id(data["id"])).first()
            before = known and audit.values(known, ("position", *MISSION_FIELDS))
        mission = _mission(engagement, data, index)
        rows = _instalments(mission, _given_instalments(mission, data), index)
        built.append((mission, before, rows))
    changed = []
    for mission, before, instalments in built:
        same = before is not None and not audit.changes(
            before, audit.values(mission, ("position", *MISSION_FIELDS))
        )
        mission.save()
        old = list(mission.instalments.values_list("date", "amount"))
        if old != [(row.date, row.amount) for row in instalments]:
            mission.instalments.all().delete()
            Instalment.objects.bulk_create(instalments)
            same = False
        if not same:
            changed.append(mission.name)
    return changed


@action
def create_engagement(
    client: Client | int,
    *,
    by: User,
    fields: Mapping[str, Any],
    missions: Sequence[Mapping[str, Any]] = (),
) -> Engagement:
    """A new engagement for a client the user owns (with the processing permission),
    with at least one mission: a letter states what the firm is engaged to do."""
    client = _client(client, by)
    if not missions:
        raise Invalid(
            {"missions": [_("Add at least one mission.")]}, codes={"missions": ["required"]}
        )
    engagement = Engagement(firm_id=client.firm_id, client=client, responsible=by)
    _apply(engagement, fields, by)
    engagement.save()
    _save_missions(engagement, missions)
    _check_deposit(engagement)
    tie_earlier_entries(engagement)
    audit.record(
        "engagement.created",
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        details={"client": client.name, "missions": len(missions)},
    )
    refresh_next_bill_date(engagement)
    return engagement


def _check_deposit(engagement: Engagement) -> None:
    """The deposit asked at signature, against the first year's fixed fees (none: 0):
    refused here, beside its field, so that the signature never is."""
    from .deposits import first_year_fees

    fees = first_year_fees(engagement)
    if engagement.deposit_percent is not None and not fees:
        raise Invalid(
            {"deposit_percent": [_("There are no fixed fees to take a percentage of.")]},
            codes={"deposit_percent": ["no_fees"]},
        )
    if engagement.deposit_amount is not None and fees and engagement.deposit_amount > fees:
        raise Invalid(
            {"deposit_amount": [_("The deposit is larger than the first year's fixed fees.")]},
            codes={"deposit_amount": ["exceeds_fees"]},
        )


def lock_engagement(engagement: Engagement | int, by: User) -> Engagement:
    """The engagement `by` may manage, locked for the change."""
    found = get_visible(by, getattr(engagement, "pk", engagement))
    locked = Engagement.objects.select_for_update().filter(pk=found.pk).first()
    if locked is None:
        raise NotFound(NO_SUCH_ENGAGEMENT)
    _require(manage_refusal(by, locked.client_id))
    return locked


@action
def amend_engagement(
    engagement: Engagement | int,
    *,
    by: User,
    fields: Mapping[str, Any] | None = None,
    missions: Sequence[Mapping[str, Any]] = (),
) -> Engagement:
    """An amendment (avenant): the changes, as the engagement's next version. Missions
    given with their id are changed, without one added."""
    engagement = lock_engagement(engagement, by)
    before = audit.values(engagement, ENGAGEMENT_FIELDS)
    _apply(engagement, fields or {}, by)
    changes = audit.changes(before, audit.values(engagement, ENGAGEMENT_FIELDS))
    mission_names = _save_missions(engagement, missions)
    _check_deposit(engagement)
    if not changes and not mission_names:
        return engagement
    if mission_names or set(changes) - OPERATING_FIELDS:
        engagement.version += 1
    engagement.save()
    tie_earlier_entries(engagement)
    audit.record(
        "engagement.amended",
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        details={"version": engagement.version, "changes": changes, "missions": mission_names},
    )
    refresh_next_bill_date(engagement)
    return engagement


@action
def end_engagement(
    engagement: Engagement | int, *, by: User, end_date: datetime.date
) -> Engagement:
    """End the engagement on `end_date`: its schedule stops there; billed periods stay."""
    engagement = lock_engagement(engagement, by)
    if end_date < engagement.start_date:
        raise Invalid(
            {"end_date": [_("The end date comes before the start date.")]},
            codes={"end_date": ["end_before_start"]},
        )
    engagement.end_date, engagement.tacit_renewal = end_date, False
    engagement.save(update_fields=["end_date", "tacit_renewal"])
    end_letters(engagement, by=by)
    audit.record(
        "engagement.ended",
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        details={"end_date": end_date},
    )
    refresh_next_bill_date(engagement)
    return engagement
