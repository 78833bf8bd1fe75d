"""What an engagement's invoice says, in the client's language (dates and amounts by
Babel, as every document)."""

import datetime
import functools
from decimal import Decimal

from babel.dates import format_date
from django.utils import translation
from django.utils.translation import gettext as _

from facturier.core.formatting import Formatter

from .schedule import Period


@functools.lru_cache(maxsize=512)
def short_date(value: datetime.date, language: str) -> str:
    """dd/mm/yyyy as Babel writes it (kept: a run writes the same few dates thousands of
    times)."""
    return format_date(value, "dd/MM/yyyy", locale=Formatter(language, "EUR").locale)


def long_date(value: datetime.date, language: str) -> str:
    """ "1er janvier 2027", "1 January 2027"."""
    return Formatter(language, "EUR").date(value)


def period_line(mission_name: str, period: Period, language: str) -> str:
    with translation.override(language):
        if period.instalment:
            text = _("%(mission)s – Fees: instalment of %(date)s") % {
                "mission": mission_name,
                "date": short_date(period.start, language),
            }
            return text
        text = _("%(mission)s – Fees from %(start)s to %(end)s") % {
            "mission": mission_name,
            "start": short_date(period.start, language),
            "end": short_date(period.end, language),
        }
        if period.prorated:
            text += " " + _("(prorated %(days)s/%(full)s days)") % {
                "days": period.days,
                "full": period.full_days,
            }
        return text


def revision_line(percent: Decimal, effective: datetime.date, language: str) -> str:
    """ "Fees revised by +3.2 % from 1 January 2028" (a revision that changes the fees:
    one of 0 % is not announced)."""
    formatter = Formatter(language, "EUR")
    sign = "+" if percent >= 0 else "−"
    with translation.override(language):
        return _("Fees revised by %(change)s from %(date)s") % {
            "change": sign + formatter.percent(abs(percent)),
            "date": long_date(effective, language),
        }


def version_line(reference: str, version: int, language: str) -> str:
    with translation.override(language):
        return _("Engagement letter %(reference)s, version %(version)s.") % {
            "reference": reference,
            "version": version,
        }


def cap_line(mission, period: Period, value: Decimal, language: str, currency: str) -> str:
    """Said on the invoice when a period's time is billed within its cap."""
    fmt = Formatter(language, currency)
    with translation.override(language):
        return _(
            "%(mission)s: time worth %(value)s from %(start)s to %(end)s, billed within "
            "the agreed cap of %(cap)s per period."
        ) % {
            "mission": mission.name,
            "value": fmt.money(value),
            "start": short_date(period.start, language),
            "end": short_date(period.end, language),
            "cap": fmt.money(mission.time_cap),
        }
