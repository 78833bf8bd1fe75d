"""Writing the firm's audit trail (AuditEvent) from an action.

Every name written is declared by the app whose action writes it, as a TextChoices
(`declare`), in one spelling: `<thing>.<what happened to it>`, e.g. "payment.recorded".
`record` refuses a name no app declared, so the trail never holds free text.
"""

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from facturier.core import clock

from .models import AuditEvent

# The spelling every name follows: the thing, a dot, what happened, in the past.
SPELLING = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
_names: dict[str, Any] = {}


def declare(names: type[models.TextChoices]) -> None:
    """An app's audit names, with their labels (what the admin shows)."""
    for member in names:
        if not SPELLING.match(member.value):
            raise ImproperlyConfigured(f"audit name {member.value!r} is not <thing>.<happened>")
        if _names.get(member.value, member.label) != member.label:
            raise ImproperlyConfigured(f"audit name {member.value!r} is declared twice")
        _names[member.value] = member.label


def label(name: str) -> str:
    return str(_names.get(name, name))


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field's value, for the trail."""
    if isinstance(value, Decimal | datetime.date | datetime.datetime):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, models.Model):
        return value.pk
    return value


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        name: [_plain(before.get(name)), _plain(after[name])]
        for name in after
        if _plain(before.get(name)) != _plain(after[name])
    }


def values(instance: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


def record(
    action: str,
    target: models.Model,
    *,
    by,
    firm_id: int | None,
    details: Mapping[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    if action not in _names:
        raise ImproperlyConfigured(f"audit name {action!r} is declared by no app")
    return AuditEvent.objects.create(
        firm_id=firm_id,
        actor=by if getattr(by, "pk", None) else None,
        at=clock.now(at),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        target=str(target)[:200],
        details={k: _plain(v) for k, v in (details or {}).items()},
    )
