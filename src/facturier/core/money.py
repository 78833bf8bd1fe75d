"""Money arithmetic: Decimal only, with one rounding rule.

The rule (also EN 16931's): each line's net amount is rounded half-up to the
currency's minor unit; VAT is computed per rate on the sum of the rounded line
nets of that rate, rounded half-up once per rate; the gross total is net + VAT.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision

HUNDRED = Decimal(100)


@cache
def minor_unit(currency: str) -> Decimal:
    """Decimal('0.01') for EUR, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency or "EUR"))


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def line_net(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, currency: str
) -> Decimal:
    gross = quantity * unit_price
    return quantize(gross - gross * (discount_percent or 0) / HUNDRED, currency)


@dataclass(frozen=True)
class VatBreakdown:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_breakdown: list[VatBreakdown] = field(default_factory=list)


def compute_totals(lines: list[tuple[Decimal, Decimal]], currency: str) -> Totals:
    """Totals from (rounded line net, VAT rate %) pairs."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for net, rate in lines:
        bases[Decimal(rate).quantize(Decimal("0.01"))] += net
    breakdown = [
        VatBreakdown(rate=rate, base=base, vat=quantize(base * rate / HUNDRED, currency))
        for rate, base in sorted(bases.items(), reverse=True)
    ]
    zero = quantize(Decimal(0), currency)
    net = sum((b.base for b in breakdown), zero)
    vat = sum((b.vat for b in breakdown), zero)
    return Totals(net=net, vat=vat, gross=net + vat, vat_breakdown=breakdown)
