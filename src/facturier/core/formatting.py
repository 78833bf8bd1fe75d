"""Amounts, numbers, percentages and dates as a language writes them (Babel).

One Formatter per (language, currency): the PDF layout, the e-mail placeholders
and any other text for people format through it, so they agree to the character.
"""

import copy
import datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
)
from django.utils.translation import pgettext

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


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
        return format_date(value, "long", locale=self.locale)
