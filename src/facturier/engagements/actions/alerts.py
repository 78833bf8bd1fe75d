"""Budget alerts: when a mission's hours or standard value cross one of the firm's
thresholds (80 % and 100 % unless set), the engagement's responsible staff member gets
one e-mail through the outbox, once per threshold, mission and fiscal year.

Checked after the commit of every save of entries tied to a mission (the staff member
is told while the work is fresh) and by the worker's hourly pass (what moves a figure
without an entry being saved, a budget lowered, or a check lost when a process stopped
between the commit and the check). The `budget_alert_once` unique key makes two
workers, a retry or both paths at once tell it once: the e-mail is queued in the
transaction that inserts the alert's row.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facturier.access import actions as access_actions
from facturier.core import clock, fiscal
from facturier.core.actions import action
from facturier.core.formatting import Formatter
from facturier.firms import audit
from facturier.firms.models import Firm

from ..models import Budget, BudgetAlert
from ..selectors import BudgetLine, budget_lines, thresholds

ALERT_PASS_SECONDS = 3600


def crossed(line: BudgetLine, levels: Iterable[int]) -> list[int]:
    """The thresholds the line's hours or standard value have reached."""
    reached = [p for p in (line.hours_percent, line.value_percent) if p is not None]
    return [level for level in levels if reached and max(reached) >= level]


def _message(line: BudgetLine, level: int, language: str) -> tuple[str, str]:
    mission, engagement = line.mission, line.mission.engagement
    fmt = Formatter(language, engagement.client.currency)
    with translation.override(language):
        subject = _("Budget %(level)s %% reached: %(mission)s (%(reference)s)") % {
            "level": level,
            "mission": mission.name,
            "reference": engagement.reference,
        }
        body = _(
            "Hello %(name)s,\n\nThe mission %(mission)s of the engagement %(reference)s "
            "(%(client)s) has reached %(level)s %% of its budget for the fiscal year "
            "%(year)s:\n\n- hours: %(hours)s of %(budget_hours)s (%(hours_percent)s %%)\n"
            "- standard value: %(value)s of %(budget_fees)s (%(value_percent)s %%)\n"
            "- billed: %(billed)s\n\nThe engagement's page shows the figures."
        ) % {
            "name": engagement.responsible.get_full_name() or engagement.responsible.username,
            "mission": mission.name,
            "reference": engagement.reference,
            "client": engagement.client.name,
            "level": level,
            "year": line.year.year,
            "hours": fmt.number(line.hours),
            "budget_hours": fmt.number(line.budget.hours),
            "hours_percent": fmt.number(line.hours_percent or 0),
            "value": fmt.money(line.standard),
            "budget_fees": fmt.money(line.budget.fees),
            "value_percent": fmt.number(line.value_percent or 0),
            "billed": fmt.money(line.billed),
        }
    return subject, body


def _tell(line: BudgetLine, level: int, now: datetime.datetime) -> BudgetAlert | None:
    """The alert's row and its e-mail, or None if it was told already."""
    engagement = line.mission.engagement
    responsible = engagement.responsible
    alert = BudgetAlert(
        mission=line.mission,
        year=line.year.year,
        threshold=level,
        hours_percent=line.hours_percent or 0,
        value_percent=line.value_percent or 0,
        sent_to=responsible,
        created_at=now,
    )
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        return None
    # A member who follows the browser has no language of their own here: the one the
    # firm works in with this client, as the billing-run page says a failure.
    language = responsible.language or engagement.client.language or settings.LANGUAGE_CODE
    subject, body = _message(line, level, language)
    access_actions.queue_account_email(
        firm=Firm.objects.get(pk=engagement.firm_id),
        purpose="budget_alert",
        to=responsible.email,
        subject=subject,
        body=body,
        language=language,
    )
    audit.record(
        "budget.alert_sent",
        engagement,
        by=None,
        firm_id=engagement.firm_id,
        details={"mission": line.mission.name, "year": line.year.year, "threshold": level},
    )
    return alert


def _check(budgets: Iterable[Budget], now: datetime.datetime) -> list[BudgetAlert]:
    told = []
    for budget in budgets:
        mission = budget.mission
        firm_id = mission.engagement.firm_id
        levels = thresholds(firm_id)
        year = fiscal.fiscal_year(firm_id, budget.year)
        (line,) = budget_lines([mission], year)
        responsible = mission.engagement.responsible
        if not responsible.is_active or not responsible.email:
            continue  # no one to tell: a deactivated member no longer reads the firm's figures
        for level in crossed(line, (levels.first, levels.second)):
            alert = _tell(line, level, now)
            if alert is not None:
                told.append(alert)
    return told


def _budgets():
    return Budget.objects.select_related(
        "mission__engagement__client", "mission__engagement__responsible"
    ).order_by("pk")


@action
def check_budgets(
    *, mission_ids: Iterable[int], firm_id: int, now: datetime.datetime | None = None
) -> list[BudgetAlert]:
    """Tell the thresholds the missions' budgets have crossed (each once)."""
    now = clock.now(now)
    budgets = _budgets().filter(
        mission_id__in=list(mission_ids), mission__engagement__firm_id=firm_id
    )
    return _check(budgets, now)


@action
def check_all_budgets(*, now: datetime.datetime | None = None) -> list[BudgetAlert]:
    """The worker's pass: every budget of the fiscal years running today or last year."""
    now = clock.now(now)
    this_year = timezone.localdate(now).year
    budgets = _budgets().filter(year__gte=this_year - 1, year__lte=this_year + 1)
    return _check(budgets, now)
