from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from facturier.core.money import compute_totals, line_net, quantize


def test_half_cent_rounds_up_not_to_even():
    assert quantize(D("0.005"), "EUR") == D("0.01")
    assert quantize(D("0.015"), "EUR") == D("0.02")
    assert quantize(D("2.675"), "EUR") == D("2.68")  # float would give 2.67


def test_line_net_rounds_each_line_to_the_cent():
    assert line_net(D("3"), D("33.3333"), D("0"), "EUR") == D("100.00")
    assert line_net(D("0.333"), D("10"), D("0"), "EUR") == D("3.33")
    assert line_net(D("148"), D("0.62"), D("0"), "EUR") == D("91.76")


def test_discount_applies_before_rounding():
    # 3 x 19.99 = 59.97, minus 15 % = 50.9745 -> 50.97
    assert line_net(D("3"), D("19.99"), D("15"), "EUR") == D("50.97")


def test_vat_is_computed_per_rate_on_the_sum_of_line_nets():
    # Three lines of 0.05 at 20 %: per-line VAT would be 3 x 0.01 = 0.03;
    # per-rate VAT is 20 % of 0.15 = 0.03 too, but 7 lines of 0.07 differ:
    lines = [(D("0.07"), D("20"))] * 7  # base 0.49 -> VAT 0.098 -> 0.10 (per line: 7 x 0.01)
    totals = compute_totals(lines, "EUR")
    assert totals.net == D("0.49")
    assert totals.vat == D("0.10")
    assert totals.gross == D("0.59")


def test_several_rates_are_broken_down_highest_first():
    totals = compute_totals(
        [
            (D("100.00"), D("20")),
            (D("50.00"), D("5.5")),
            (D("10.00"), D("20.00")),
            (D("30.00"), D("0")),
        ],
        "EUR",
    )
    assert [(b.rate, b.base, b.vat) for b in totals.vat_breakdown] == [
        (D("20.00"), D("110.00"), D("22.00")),
        (D("5.50"), D("50.00"), D("2.75")),
        (D("0.00"), D("30.00"), D("0.00")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (D("190.00"), D("24.75"), D("214.75"))


def test_currency_without_cents_rounds_to_units():
    assert line_net(D("3"), D("333.5"), D("0"), "JPY") == D("1001")
    assert compute_totals([(D("1001"), D("10"))], "JPY").gross == D("1101")


def test_no_lines_gives_zero_totals():
    totals = compute_totals([], "EUR")
    assert (totals.net, totals.vat, totals.gross) == (D("0.00"), D("0.00"), D("0.00"))


amounts = st.decimals(min_value=D("-10000"), max_value=D("10000"), places=2)
rates = st.sampled_from([D("0"), D("2.1"), D("5.5"), D("10"), D("20")])


@given(st.lists(st.tuples(amounts, rates), max_size=30))
def test_totals_always_add_up_to_the_cent(lines):
    totals = compute_totals(lines, "EUR")
    assert totals.gross == totals.net + totals.vat
    assert totals.net == sum((net for net, _ in lines), D("0"))
    assert totals.vat == sum((b.vat for b in totals.vat_breakdown), D("0"))
    assert all(b.vat == b.vat.quantize(D("0.01")) for b in totals.vat_breakdown)
