import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def in_english():
    """Refusals read in English here, whatever language an earlier test left active."""
    with translation.override("en"):
        yield
