"""One parser of object ids, for every way an id comes in."""

import pytest

from facturier.core.converters import MAX_ID, row_id
from facturier.firms.models import Firm


@pytest.mark.parametrize(
    "value, expected",
    [(1, 1), ("12", 12), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID), (Firm(pk=7), 7)],
)
def test_an_id_is_read(value, expected):
    assert row_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [True, 1.5, "1.5", "²", "١٢", " 2", "+2", "-2", "0", 0, MAX_ID + 1, "9" * 20, "", None, [1]],
)
def test_anything_else_is_no_id(value):
    assert row_id(value) is None
