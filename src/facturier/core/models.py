"""What the domain's models share."""

import datetime
import functools
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.expressions import DatabaseDefault

from .reading import sort_key
from .validators import check_model_text


class CheckedText(models.Model):
    """full_clean() also refuses control characters in text (validators.check_model_text),
    so the actions, the forms built on the model and the admin refuse them alike."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        errors: dict = {}
        try:
            clean_model_fields(self, exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        try:
            check_model_text(self)
        except ValidationError as exc:
            for field, messages in exc.update_error_dict({}).items():
                if not exclude or field not in exclude:
                    errors.setdefault(field, []).extend(messages)
        try:
            self.check_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def check_fields(self, exclude=None) -> None:
        """A model's own checks, reported with the others (e.g. a party's identifiers)."""


def clean_model_fields(instance: models.Model, exclude=None) -> None:
    """Model.clean_fields, the same loop, each field's clean of a value it cleaned
    before taken from a memo where the field's checks are a function of the value alone
    (_memo): a billing run's thousand drafts repeat their currency, dates, rates, amounts
    and texts, and cleaning them was a fifth of its time. A refused value is never kept:
    it is cleaned again, and raises again."""
    errors = {}
    fields = _cleaned_fields(type(instance), frozenset(exclude or ()))
    for field, attname, blank, empty_values, memo in fields:
        raw = getattr(instance, attname)
        # As Django: an empty value of a blank field is the developer's to check, and a
        # database default the database's.
        if (blank and raw in empty_values) or isinstance(raw, DatabaseDefault):
            continue
        kind = type(raw)
        if memo is None:
            key = None
        elif kind in _KEYED:
            key = (kind, raw)
        else:
            key = (kind, str(raw)) if kind is Decimal else None
        cleaned = _MISSING if key is None else memo.get(key, _MISSING)
        if cleaned is _MISSING:
            try:
                cleaned = field.clean(raw, instance)
            except ValidationError as exc:
                errors[field.name] = exc.error_list
                continue
            if key is not None:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                memo[key] = cleaned
        setattr(instance, attname, cleaned)
    if errors:
        raise ValidationError(errors)


@functools.lru_cache(maxsize=256)
def _cleaned_fields(model: type[models.Model], exclude: frozenset) -> tuple:
    """What clean_model_fields reads of each field it cleans, in the model's order."""
    return tuple(
        (field, field.attname, field.blank, field.empty_values, _memo(field))
        for field in model._meta.fields
        if field.name not in exclude and not field.generated
    )


_MISSING = object()
_MEMO_SIZE = 4096
# Validators that are functions of the value alone: Django's, and the project's shared
# ones (validators.py: one rule per kind of value). Any other keeps its field out of the
# memo (it might read the clock, the database or the instance).
_PURE_VALIDATORS = ("django.core.validators", "facturier.core.validators")
# Immutable values whose equal ones clean alike. A Decimal's exponent counts (1.0 and
# 1.000 differ in decimal places), so it is keyed by its text, which spells sign, digits
# and exponent; a datetime is not kept (equal instants in two time zones).
_KEYED = frozenset({type(None), str, int, bool, datetime.date})


@functools.cache
def _memo(field: models.Field) -> dict | None:
    """The cleaned value of each value `field` cleaned, if its clean is Django's own and
    reads only the value (not the instance, the database or the clock); else None."""
    kind = type(field)
    if (
        field.is_relation
        or kind.clean is not models.Field.clean
        or kind.run_validators is not models.Field.run_validators
        or not kind.validate.__module__.startswith("django.db.models.")
        or not kind.to_python.__module__.startswith("django.db.models.")
    ):
        return None
    for validator in field.validators:
        if getattr(validator, "__module__", None) not in _PURE_VALIDATORS:
            return None
    return {}


class SortKeyField(models.CharField):
    """`source`'s text as lists order it (reading.sort_key), written with each row:
    save(), bulk_create and compiled_sql.insert all ask pre_save. An update of `source`
    alone (save(update_fields=...), QuerySet.update) must name this field too."""

    def __init__(self, *args, source: str = "name", **kwargs):
        self.source = source
        kwargs.setdefault("editable", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = sort_key(getattr(model_instance, self.source) or "")[: self.max_length]
        setattr(model_instance, self.attname, value)
        return value
