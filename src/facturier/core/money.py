"""Money arithmetic: Decimal only, with one rounding rule.

The rule (also EN 16931's): each line's net amount is rounded half-up to the
currency's minor unit; a discount on the whole invoice is taken off each VAT rate's
sum of line nets, rounded half-up once per rate (one document allowance per rate,
BG-20); VAT is computed per rate on what is left, rounded half-up once per rate;
the gross total is net + VAT.
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
    base: Decimal  # taxable: the lines of this rate less the discount's part
    vat: Decimal
    allowance: Decimal = Decimal(0)  # the invoice discount's part at this rate


@dataclass(frozen=True)
class Totals:
    net: Decimal  # taxable total (EN 16931 BT-109): the lines less the discount
    vat: Decimal
    gross: Decimal
    vat_breakdown: list[VatBreakdown] = field(default_factory=list)
    lines_net: Decimal | None = None  # sum of the line nets (BT-106)
    allowance: Decimal = Decimal(0)  # the invoice discount (BT-107)


def compute_totals(
    lines: list[tuple[Decimal, Decimal]],
    currency: str,
    *,
    discount_percent: Decimal = Decimal(0),
) -> Totals:
    """Totals from (rounded line net, VAT rate %) pairs and an invoice discount (%)."""
    sums: dict[Decimal, Decimal] = defaultdict(Decimal)
    for net, rate in lines:
        sums[Decimal(rate).quantize(Decimal("0.01"))] += net
    breakdown = []
    for rate, lines_sum in sorted(sums.items(), reverse=True):
        allowance = quantize(lines_sum * Decimal(discount_percent or 0) / HUNDRED, currency)
        base = lines_sum - allowance
        breakdown.append(
            VatBreakdown(
                rate=rate,
                base=base,
                vat=quantize(base * rate / HUNDRED, currency),
                allowance=allowance,
            )
        )
    zero = quantize(Decimal(0), currency)
    net = sum((b.base for b in breakdown), zero)
    vat = sum((b.vat for b in breakdown), zero)
    allowance = sum((b.allowance for b in breakdown), zero)
    return Totals(
        net=net,
        vat=vat,
        gross=net + vat,
        vat_breakdown=breakdown,
        lines_net=net + allowance,
        allowance=allowance,
    )
