"""Values typed by a French or English user read as they meant, or not at all."""

import datetime
from decimal import Decimal

import pytest

from facturier.core import reading


@pytest.mark.parametrize("word", ["oui", "OUI", "Oui", "yes", "vrai", "true", "1", "x", True])
def test_yes_words(word):
    assert reading.yes_no(word) is True


@pytest.mark.parametrize("word", ["non", "Non", "no", "faux", "FALSE", "0", False])
def test_no_words(word):
    assert reading.yes_no(word) is False


@pytest.mark.parametrize("word", ["peut-être", "si", "2", "", None, "ja"])
def test_an_unknown_word_is_neither(word):
    assert reading.yes_no(word) is None


def test_dates_iso_and_day_first():
    expected = datetime.date(2026, 10, 27)
    for text in ("2026-10-27", "27/10/2026", "27.10.2026", "27-10-2026", " 27/10/2026 "):
        assert reading.day(text) == expected
    for text in ("10/27/2026", "27/10/26", "2026-13-01", "hier", ""):
        assert reading.day(text) is None


def test_decimals_with_a_comma_or_a_point_and_thousands():
    for text in ("1234.5", "1234,5", "1 234,50", "1\u202f234,50", "1.234,50", "1,234.50"):
        assert reading.decimal(text) == Decimal("1234.5")
    for text in ("abc", "", "NaN", "1,2,3"):
        assert reading.decimal(text) is None


def test_headers_read_alike():
    assert reading.plain(" Taux de TVA ") == reading.plain("taux_de_tva")
    assert reading.plain("Libellé") == "libelle"
