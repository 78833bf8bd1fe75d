"""Writing the firm's audit trail (AuditEvent) from an action."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from facturier.core import clock

from .models import AuditEvent


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
