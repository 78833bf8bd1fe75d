"""What the work actions share: amounts read from input, a model's own checks, the
firm's work code."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from facturier.core import reading
from facturier.core.errors import Invalid, NotFound

from ..models import WorkCode

LARGEST = Decimal("9999999999.99")


def parse_amount(value) -> Decimal | None:
    """42.50, 42,50 or 1 234,50 -> Decimal; None if it is not a finite number."""
    return reading.decimal(value)


def check_model(instance, exclude=None) -> None:
    """The model's own field checks, refused as an Invalid keyed by field."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise Invalid(
            {f: [str(m) for m in ms] for f, ms in exc.message_dict.items()},
            codes={f: ["invalid"] for f in exc.message_dict},
        ) from None


def own_code(by, pk) -> WorkCode:
    code = WorkCode.objects.filter(firm_id=by.firm_id, pk=pk).first()
    if code is None:
        raise NotFound(gettext_lazy("No such work code."))
    return code
