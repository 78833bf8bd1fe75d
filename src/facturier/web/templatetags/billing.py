import datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from django import template
from django.utils import timezone
from django.utils.translation import get_language, to_locale

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "en")


@register.filter
def money(amount, currency="EUR"):
    """1 234,56 € in French, €1,234.56 in English."""
    if amount in (None, ""):
        return ""
    return format_currency(Decimal(amount), currency or "EUR", locale=_locale())


@register.filter
def day(value):
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return format_date(value, "medium", locale=_locale())


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
