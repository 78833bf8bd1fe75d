"""Dates as the reader's language writes them: the first of a month is "1er" in French,
in documents (Formatter) and on pages (the template filters) alike."""

import datetime

from django.template import Context, Template
from django.utils import timezone, translation

from facturier.core.formatting import Formatter, datetime_text, for_reader, spaced

D = datetime.date


def test_french_writes_the_first_of_a_month_1er_and_the_other_days_as_numbers():
    french = Formatter("fr", "EUR")
    assert french.date(D(2027, 1, 1)) == "1er janvier 2027"
    assert french.date("2027-01-01") == "1er janvier 2027"
    assert french.date(D(2027, 1, 2)) == "2 janvier 2027"
    assert french.date(D(2027, 1, 11)) == "11 janvier 2027"
    assert french.date(D(2027, 1, 21)) == "21 janvier 2027"
    assert Formatter("en", "EUR").date(D(2027, 1, 1)) == "1 January 2027"


def test_a_day_of_the_month_alone_is_1er_in_french():
    assert [Formatter("fr", "EUR").day_of_month(day) for day in (1, 2, 15)] == ["1er", "2", "15"]
    assert Formatter("en", "EUR").day_of_month(1) == "1"


def test_the_pages_date_filters_write_1er_too():
    page = Template("{% load billing %}{{ day|day }} · {{ at|moment }}")
    at = timezone.make_aware(datetime.datetime(2027, 1, 1, 9, 30))
    with translation.override("fr"):
        shown = page.render(Context({"day": D(2027, 1, 1), "at": at}))
    assert shown.startswith("1er janv. 2027 · 1er janv. 2027, 09:30")
    with translation.override("fr"):
        second = page.render(Context({"day": D(2027, 1, 2), "at": at.replace(day=2)}))
    assert second.startswith("2 janv. 2027 · 2 janv. 2027")
    with translation.override("en"):
        assert "1er" not in page.render(Context({"day": D(2027, 1, 1), "at": at}))


def test_a_moment_is_dated_where_it_is_read():
    # 23:30 in UTC on 31 December is already the 1st of January in Paris.
    at = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    paris = datetime.timezone(datetime.timedelta(hours=1))
    assert datetime_text(at, "medium", "fr", tzinfo=paris).startswith("1er janv. 2027, 00:30")


def test_the_reader_formatter_speaks_the_active_language():
    with translation.override("fr"):
        assert for_reader().date(D(2027, 1, 1)) == "1er janvier 2027"
        assert for_reader("EUR").money("1000").replace("\u202f", " ") == "1 000,00\xa0€"
    with translation.override("en"):
        assert for_reader("EUR").money("1000") == "€1,000.00"


def test_french_puts_a_narrow_no_break_space_before_double_marks():
    assert [spaced(mark, "fr") for mark in ";:!?"] == ["\u202f;", "\u202f:", "\u202f!", "\u202f?"]
    assert [spaced(mark, "en") for mark in ";:"] == [";", ":"]
    assert spaced(",", "fr") == ","
