import datetime
import functools
import html
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, to_locale
from markupsafe import escape

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "en")


@register.filter
def money(amount, currency="EUR", *, locale=None):
    """1 234,56 € in French, €1,234.56 in English."""
    if amount in (None, ""):
        return ""
    return _currency(Decimal(amount), currency or "EUR", locale or _locale())


# Babel parses its pattern and walks its locale data on every call, the larger part of
# a table cell's time; the same figures and dates come back row after row.
@functools.lru_cache(maxsize=8192)
def _currency(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale)


@functools.lru_cache(maxsize=8192)
def _date(value: datetime.date, locale: str) -> str:
    return format_date(value, "medium", locale=locale)


@register.filter
def amount(value):
    """1 234,50 in French, 1,234.50 in English: a figure whose currency is said beside it
    (a column's header, a chart's legend)."""
    if value in (None, ""):
        return ""
    return format_decimal(Decimal(str(value)), format="#,##0.00", locale=_locale())


@register.filter
def day(value, *, locale=None):
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        return format_date(value, "medium", locale=locale or _locale())
    return _date(value, locale or _locale())


@register.filter
def moment(value):
    if not value:
        return ""
    return format_datetime(
        timezone.localtime(value),
        "medium",
        locale=_locale(),
        tzinfo=timezone.get_current_timezone(),
    )


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if mapping else ""


@register.simple_tag
def options(choices, selected=None):
    """<option>s for (value, label) pairs, written in one pass: a firm's client filter
    lists up to thousands of clients, which the template engine renders a hundred times
    slower, node by node. (The standard library's escape, on short text, is five times
    markupsafe's, which wraps each result in a Markup object.)"""
    return mark_safe(  # noqa: S308 -- each value and label escaped here
        "".join(
            f'<option value="{value if type(value) is int else html.escape(str(value))}"'
            f"{' selected' if value == selected else ''}>{html.escape(str(label))}</option>"
            for value, label in choices
        )
    )


@register.filter
def why_attributes(reasons):
    """data-why-<action>="<reason>" for each action of a row, written in one pass (the
    toolbar reads them to enable its buttons); the page has 25 rows of ten each."""
    return mark_safe(
        "".join(f' data-why-{name}="{escape(reason)}"' for name, reason in reasons.items())
    )
