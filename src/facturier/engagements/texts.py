"""What an engagement's invoice says, in the client's language (dates and amounts by
Babel, as every document)."""

import datetime
import functools
from decimal import Decimal

from babel.dates import format_date, format_skeleton
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

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


@functools.lru_cache(maxsize=256)
def _said(message: str, language: str) -> str:
    """`message` translated into `language` (marked with gettext_noop where it is
    written): a run writes the same few sentences on thousands of invoices."""
    with translation.override(language):
        return _(message)


def period_line(mission_name: str, period: Period, language: str) -> str:
    """ "Tenue comptable – Honoraires : janvier 2027", "Bookkeeping – Fees: Q1 2027"
    (the period in words), "… du 15 janvier 2027 au 31 mars 2027 (prorata 76/90 jours)"."""
    if period.instalment:
        return _said(gettext_noop("%(mission)s – Fees: instalment of %(date)s"), language) % {
            "mission": mission_name,
            "date": long_date(period.start, language),
        }
    text = _said(gettext_noop("%(mission)s – Fees: %(period)s"), language) % {
        "mission": mission_name,
        "period": period_words(period, language),
    }
    if period.prorated:
        text += " " + _said(gettext_noop("(prorated %(days)s/%(full)s days)"), language) % {
            "days": period.days,
            "full": period.full_days,
        }
    return text


@functools.lru_cache(maxsize=512)
def period_words(period: Period, language: str) -> str:
    """A whole calendar period by its name ("janvier 2027", "2e trimestre 2027",
    "1er semestre 2027", "année 2027"); a part of one by its days ("du 15 janvier 2027
    au 31 mars 2027"). Kept: a run names the same few periods thousands of times."""
    start, end = period.start, period.end
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    whole = (
        not period.prorated
        and start.day == 1
        and (end + datetime.timedelta(days=1)).day == 1
        and (start.month - 1) % months == 0
    )
    locale = Formatter(language, "EUR").locale
    with translation.override(language):
        if whole and months == 1:
            return format_skeleton("yMMMM", start, locale=locale)
        if whole and months == 3:
            return format_date(start, "QQQQ y", locale=locale)
        if whole and months == 6:
            half = _("first half of %(year)s") if start.month == 1 else _("second half of %(year)s")
            return half % {"year": start.year}
        if whole and months == 12:
            return _("year %(year)s") % {"year": start.year}
        return pgettext("period", "from %(start)s to %(end)s") % {
            "start": long_date(start, language),
            "end": long_date(end, language),
        }


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
    return _said(
        gettext_noop("Engagement letter %(reference)s, version %(version)s."), language
    ) % {
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
