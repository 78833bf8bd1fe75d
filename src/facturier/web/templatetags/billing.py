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
from markupsafe import Markup, escape

from facturier.invoicing import history

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
def describe(event):
    """An invoice history line, as the app that recorded the event says it reads."""
    return history.describe(event)


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if mapping else ""


@register.simple_tag
def options(choices, selected=None):
    """<option>s for (value, label) pairs, written in one pass: a firm's client filter
    lists up to thousands of clients, which the template engine renders far slower,
    node by node. The list is the same from one page to the next (the selected one
    aside): it is written once and kept until a client is added or renamed."""
    written = _options(tuple(choices))
    if selected is not None:
        option = f'<option value="{_option_value(selected)}">'
        written = written.replace(option, f"{option[:-1]} selected>", 1)
    return mark_safe(written)  # noqa: S308 -- each value and label escaped by _options


@functools.lru_cache(maxsize=64)
def _options(choices: tuple) -> str:
    # (The standard library's escape, on short text, is five times markupsafe's, which
    # wraps each result in a Markup object.)
    return "".join(
        f'<option value="{_option_value(value)}">{html.escape(str(label))}</option>'
        for value, label in choices
    )


def _option_value(value) -> str:
    return str(value) if type(value) is int else html.escape(str(value))


@register.filter
def why_attributes(reasons):
    """data-why-<action>="<reason>" for each action of a row (the toolbar reads them to
    enable its buttons). A page's rows share a few sets of reasons: each is written
    once."""
    # (Each reason as text: a lazy one would compare in the language of the moment.)
    return _why_attributes(tuple((name, str(reason)) for name, reason in reasons.items()))


@functools.lru_cache(maxsize=256)
def _why_attributes(reasons: tuple) -> Markup:
    return Markup("".join(f' data-why-{name}="{escape(reason)}"' for name, reason in reasons))
