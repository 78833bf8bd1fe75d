"""full_clean of the domain's models remembers what each field cleaned (core.models.
clean_model_fields): what it accepts and refuses must stay what Django's own
clean_fields accepts and refuses, value for value, however often a value comes back."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from facturier.core.models import _memo, clean_model_fields
from facturier.invoicing.models import InvoiceLine


def _errors(clean, line) -> dict:
    try:
        clean(line)
    except ValidationError as exc:
        return {field: [error.code for error in errors] for field, errors in exc.error_dict.items()}
    return {}


CASES = [
    {"description": "Honoraires", "quantity": Decimal("1"), "unit_price": Decimal("100.00")},
    # Equal to an accepted value, but with more decimal places than the field keeps.
    {"description": "Honoraires", "quantity": Decimal("1.0000"), "unit_price": Decimal("100")},
    {"description": "Honoraires", "quantity": Decimal("1"), "unit_price": Decimal("-0.01")},
    {"description": "x" * 3, "quantity": "abc", "unit_price": Decimal("100.00")},
    {"description": "", "quantity": Decimal("1"), "unit_price": None},
    {"description": "Honoraires", "quantity": Decimal("1"), "unit_price": Decimal("100.00")},
]


@pytest.mark.parametrize("rounds", [1, 3])
def test_each_value_is_accepted_or_refused_as_django_does(rounds):
    for _ in range(rounds):
        for values in CASES:
            ours = InvoiceLine(vat_rate=Decimal("20.00"), **values)
            django = InvoiceLine(vat_rate=Decimal("20.00"), **values)
            assert _errors(clean_model_fields, ours) == _errors(
                models.Model.clean_fields, django
            ), values
            # What is kept after cleaning is the same too.
            assert (ours.quantity, ours.unit_price) == (django.quantity, django.unit_price)


def test_a_refused_value_is_refused_every_time():
    for _ in range(3):
        line = InvoiceLine(description="Honoraires", unit_price=Decimal("1.00001"), vat_rate=20)
        with pytest.raises(ValidationError) as refused:
            line.full_clean(exclude=["invoice"])
        assert "unit_price" in refused.value.error_dict


def test_a_field_whose_checks_read_more_than_the_value_is_cleaned_each_time():
    def not_today(value):  # a validator of another module: might read the clock
        return None

    assert _memo(models.CharField(max_length=5, validators=[not_today])) is None
    assert _memo(InvoiceLine._meta.get_field("invoice")) is None  # a key: reads the database
    assert _memo(InvoiceLine._meta.get_field("unit_price")) is not None
