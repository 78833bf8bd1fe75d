"""Amounts, numbers, percentages and dates as a language writes them (Babel).

One Formatter per (language, currency): the PDF layout, the e-mail placeholders
and any other text for people format through it, so they agree to the character.
"""

import copy
import datetime
import re
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
)
from django.utils.translation import get_language, pgettext

LOCALES = {"fr": "fr_FR", "en": "en_GB"}

# The space French puts before these marks (a narrow no-break one: never a line's start).
FRENCH_SPACED = ";:!?"
NARROW_NO_BREAK_SPACE = "\u202f"


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@cache
def _money_pattern(locale_name: str, currency: str) -> NumberPattern | None:
    """The locale's currency pattern with the currency's symbol and decimals filled in.

    format_currency() works these out on every call, and also looks up the
    currency's plural display name, which the standard pattern never prints (a
    third of its time, and amounts are most of an invoice's formatting). None
    for a pattern that prints the currency's code or name.
    """
    locale = _locale(locale_name)
    pattern = copy.copy(locale.currency_formats["standard"])
    affixes = (*pattern.prefix, *pattern.suffix)
    if any("¤¤" in affix for affix in affixes):
        return None
    symbol = get_currency_symbol(currency, locale)
    pattern.prefix = tuple(affix.replace("¤", symbol) for affix in pattern.prefix)
    pattern.suffix = tuple(affix.replace("¤", symbol) for affix in pattern.suffix)
    digits = get_currency_precision(currency)
    pattern.frac_prec = (digits, digits)
    return pattern


@cache
def _first_of_month(locale_name: str, width: str) -> str:
    """The locale's date pattern with its day written "1er" (the first of a month, as
    French writes it); text in quotes is left as it is."""
    pattern = _locale(locale_name).date_formats[width].pattern
    parts = pattern.split("'")
    parts[::2] = [re.sub(r"(?<!d)d(?!d)", "d'er'", part) for part in parts[::2]]
    return "'".join(parts)


def _first_in_french(value: datetime.date, locale: Locale) -> bool:
    return value.day == 1 and locale.language == "fr"


def date_text(value: datetime.date, width: str, locale: Locale | str) -> str:
    """A date at one of the locale's widths ("medium", "long"), the first of a month
    "1er" in French ("1er janvier 2027"): every date written for people goes here."""
    locale = locale if isinstance(locale, Locale) else _locale(locale)
    if _first_in_french(value, locale):
        return format_date(value, _first_of_month(str(locale), width), locale=locale)
    return format_date(value, width, locale=locale)


def datetime_text(value: datetime.datetime, width: str, locale: Locale | str, tzinfo=None) -> str:
    """A moment as date_text() writes its day, then its time ("1er janv. 2027, 09:30:00")."""
    locale = locale if isinstance(locale, Locale) else _locale(locale)
    if tzinfo is not None and value.tzinfo is not None:
        value = value.astimezone(tzinfo)  # the day it is where it is read
    if not _first_in_french(value, locale):
        return format_datetime(value, width, tzinfo=tzinfo, locale=locale)
    pattern = (
        str(locale.datetime_formats[width])
        .replace("{1}", _first_of_month(str(locale), width))
        .replace("{0}", locale.time_formats[width].pattern)
    )
    return format_datetime(value, pattern, tzinfo=tzinfo, locale=locale)


def spaced(mark: str, language: str) -> str:
    """; : ! ? as the language writes them: French puts a narrow no-break space before."""
    if language == "fr" and mark in FRENCH_SPACED:
        return NARROW_NO_BREAK_SPACE + mark
    return mark


class Formatter:
    def __init__(self, language: str, currency: str) -> None:
        # A parsed Locale, not its name: Babel would parse the name on every call.
        self.locale = _locale(LOCALES.get(language, "en_GB"))
        self.currency = currency
        self._money = _money_pattern(str(self.locale), currency)
        self._percents: dict[str, str] = {}

    def money(self, amount: str | Decimal | None) -> str:
        """As Babel's format_currency() prints it (tests hold them equal)."""
        if self._money is None:
            return format_currency(Decimal(amount or 0), self.currency, locale=self.locale)
        return self._money.apply(Decimal(amount or 0), self.locale)

    def number(self, value: str | Decimal) -> str:
        return format_decimal(Decimal(value).normalize() + 0, locale=self.locale)

    def amount(self, value: str | Decimal) -> str:
        """An amount as a person types it in a field: the currency's decimals, no symbol
        (1 200,00 in French)."""
        digits = get_currency_precision(self.currency)
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(Decimal(value), format=pattern, locale=self.locale)

    def unit_price(self, amount: str | Decimal) -> str:
        """Unit prices may carry more decimals than the currency (e.g. 0.0125 per page)."""
        value = Decimal(amount)
        if value == value.quantize(Decimal("0.01")):
            return self.money(value)
        return format_currency(
            value.normalize(),
            self.currency,
            locale=self.locale,
            currency_digits=False,
            decimal_quantization=False,
        )

    def percent(self, value: str | Decimal) -> str:
        # An invoice has few rates and many lines: each rate is formatted once.
        key = str(value)
        if key not in self._percents:
            rate = self.number(value)
            self._percents[key] = pgettext("percentage", "%(rate)s %%") % {"rate": rate}
        return self._percents[key]

    def date(self, value: str | datetime.date | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return date_text(value, "long", self.locale)

    def day_of_month(self, day: int) -> str:
        """A day of the month alone ("billed on day 1"): "1er" in French, as in a date."""
        return f"{day}er" if day == 1 and self.locale.language == "fr" else str(day)

    def spaced(self, mark: str) -> str:
        """; : ! ? with the space the language puts before them (spaced())."""
        return spaced(mark, self.locale.language)


def for_reader(currency: str = "EUR") -> Formatter:
    """The Formatter of the language being read now (a refusal, a page's message): the
    request's, or the one a run or a task speaks (translation.override)."""
    return Formatter(get_language() or "en", currency)
