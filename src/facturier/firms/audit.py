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

from facturier.core import clock, compiled_sql

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


def event(
    action: str,
    target: models.Model,
    *,
    by,
    firm_id: int | None,
    details: Mapping[str, Any] | None = None,
    at: datetime.datetime | None = None,
    target_name: str | None = None,
    from_status: str = "",
    to_status: str = "",
) -> AuditEvent:
    """The row `record` saves, not saved yet (for bulk_create). `target_name`: how the
    trail names the target, when its str() is not what a reader knows it by."""
    if action not in _names:
        raise ImproperlyConfigured(f"audit name {action!r} is declared by no app")
    return AuditEvent(
        firm_id=firm_id,
        actor=by if getattr(by, "pk", None) else None,
        at=clock.now(at),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        target=(str(target) if target_name is None else target_name)[:200],
        from_status=from_status,
        to_status=to_status,
        details={k: _plain(v) for k, v in (details or {}).items()},
    )


def record(action: str, target: models.Model, **fields) -> AuditEvent:
    """Write one row of the trail (the fields as `event` takes them)."""
    row = event(action, target, **fields)
    compiled_sql.insert([row])  # as save() writes it, without building the INSERT each time
    return row


def about(target_type: str, target_id: int | str):
    """The trail of one object, oldest first: an invoice's history, say."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id)).order_by(
        "at", "id"
    )
