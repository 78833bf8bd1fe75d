"""The `day` filter writes the day a moment falls on where it is read (TIME_ZONE), not in
UTC: an invoice e-mailed at 00:17 in Paris on 8 December was listed as sent on the 7th."""

import datetime

from django.test import override_settings
from django.utils import translation

from facturier.web.templatetags.billing import day


@override_settings(TIME_ZONE="Europe/Paris", USE_TZ=True)
def test_a_moment_just_after_midnight_in_paris_reads_as_that_day():
    moment = datetime.datetime(2026, 12, 7, 23, 17, tzinfo=datetime.UTC)  # 00:17 in Paris
    with translation.override("fr"):
        assert day(moment) == "8 déc. 2026"


def test_a_date_is_written_as_it_is():
    with translation.override("fr"):
        assert day(datetime.date(2027, 1, 15)) == "15 janv. 2027"
