"""Validators shared by every edge that takes a value: model fields (so the actions'
full_clean checks them), the HTML forms built on those models, and the API's
serializers. One rule per kind of value, so a value refused in one place is
refused everywhere."""

from functools import cache

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control characters have no place in stored text: NUL breaks PostgreSQL, and the
# others break e-mail headers, XML and PDFs. Multi-line text keeps tab and newlines.
_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}
_MULTILINE_ALLOWED = {"\t", "\n", "\r"}


@cache
def currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def validate_currency(value: str) -> None:
    if value not in currencies():
        raise ValidationError(
            _("Use a three-letter ISO 4217 currency code, e.g. EUR."), code="invalid_currency"
        )


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether text holds a control character (tab and line breaks allowed if multiline)."""
    refused = _CONTROL - _MULTILINE_ALLOWED if multiline else _CONTROL
    return isinstance(value, str) and any(c in refused for c in value)


def validate_single_line(value: str) -> None:
    if isinstance(value, str) and any(c in _CONTROL for c in value):
        raise ValidationError(
            _("Control characters and line breaks are not allowed here."), code="invalid_characters"
        )


def validate_text(value: str) -> None:
    if isinstance(value, str) and any(c in _CONTROL - _MULTILINE_ALLOWED for c in value):
        raise ValidationError(_("Control characters are not allowed."), code="invalid_characters")


def check_model_text(instance) -> None:
    """Every text field of a model instance: single-line fields without control
    characters, text areas without any but tab and line breaks. Raises a
    ValidationError per field, as full_clean() does."""
    from django.db import models

    errors: dict[str, list[ValidationError]] = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if not isinstance(value, str):
            continue
        check = validate_text if isinstance(field, models.TextField) else validate_single_line
        try:
            check(value)
        except ValidationError as exc:
            errors.setdefault(field.name, []).append(exc)
    if errors:
        raise ValidationError(errors)
