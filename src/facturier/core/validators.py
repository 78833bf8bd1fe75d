"""Validators shared by every edge that takes a value: model fields (so the actions'
full_clean checks them), the HTML forms built on those models, and the API's
serializers. One rule per kind of value, so a value refused in one place is
refused everywhere."""

from functools import cache
from operator import attrgetter

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control characters have no place in stored text: NUL breaks PostgreSQL, and the
# others break e-mail headers, XML and PDFs. Multi-line text keeps tab and newlines.
_CONTROL = frozenset({chr(c) for c in range(32)} | {"\x7f"})
_MULTILINE_ALLOWED = frozenset({"\t", "\n", "\r"})
_MULTILINE_REFUSED = _CONTROL - _MULTILINE_ALLOWED


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
    refused = _MULTILINE_REFUSED if multiline else _CONTROL
    return isinstance(value, str) and not refused.isdisjoint(value)


def validate_single_line(value: str) -> None:
    if isinstance(value, str) and not _CONTROL.isdisjoint(value):
        raise ValidationError(
            _("Control characters and line breaks are not allowed here."), code="invalid_characters"
        )


def validate_text(value: str) -> None:
    if isinstance(value, str) and not _MULTILINE_REFUSED.isdisjoint(value):
        raise ValidationError(_("Control characters are not allowed."), code="invalid_characters")


def check_model_text(instance) -> None:
    """Every text field of a model instance: single-line fields without control
    characters, text areas without any but tab and line breaks. Raises a
    ValidationError per field, as full_clean() does."""
    errors: dict[str, list[ValidationError]] = {}
    checks, read = _text_checks(type(instance))
    try:
        values = read(instance)
    except AttributeError:  # a field not set on this instance: as None, not checked
        values = [getattr(instance, check[1], None) for check in checks]
    for (name, _attname, check), value in zip(checks, values, strict=True):
        if not isinstance(value, str):
            continue
        try:
            check(value)
        except ValidationError as exc:
            errors.setdefault(name, []).append(exc)
    if errors:
        raise ValidationError(errors)


@cache
def _text_checks(model) -> tuple:
    """(name, attname, check) of each concrete field of `model` that may hold text (any
    field may be given a str before it is cleaned; non-text ones are checked as single
    lines), in the model's order, and a function reading their values at once: a billing
    run checks thousands of rows."""
    from django.db import models

    checks = tuple(
        (
            field.name,
            field.attname,
            validate_text if isinstance(field, models.TextField) else validate_single_line,
        )
        for field in model._meta.concrete_fields
    )
    read = attrgetter(*(check[1] for check in checks))
    if len(checks) == 1:
        read = lambda instance, read=read: (read(instance),)  # noqa: E731
    return checks, read
