"""What work tells: the names its actions write in the audit trail, and the entries it
saved (the apps above tie them to what they keep, such as an engagement's missions)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.core.events import publish
from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    WORK_CODE_SAVED = "work_code.saved", _("work code saved")
    WORK_CODES_IMPORTED = "work_codes.imported", _("work codes imported")
    RATE_SAVED = "rate.saved", _("rate saved")
    ENTRY_CHANGED = "entry.changed", _("entry changed")
    ENTRY_DELETED = "entry.deleted", _("entry deleted")
    RECEIPT_ATTACHED = "entry.receipt_attached", _("receipt attached")


audit.declare(AuditName)


# A row's mission when the caller said nothing of it: the entry keeps the one it has.
KEEP = object()


@dataclass(frozen=True)
class EntriesSaved:
    """Entries recorded or changed, in the saving action's transaction. `missions` says,
    per entry, the mission the caller named (an id or a name; empty: the default one;
    KEEP: unchanged); the app that keeps missions checks it and may refuse. Both may be
    gone through more than once, in step: an import passes views that read its rows
    again each time, so 100,000 of them are never held at once."""

    entries: Iterable[Any]
    missions: Iterable[Any]
    by: Any
    # How a refusal names an entry's field ("entries.0." in a batch, "" for one entry).
    prefix: str = "entries.{index}."
    # True: just recorded (nothing tied yet); False: changed.
    new: bool = True


def entries_saved(
    entries: Iterable[Any], *, missions: Iterable[Any], by: Any, new: bool = True
) -> None:
    prefix = "entries.{index}." if new else ""
    publish(
        EntriesSaved(
            entries=_again(entries), missions=_again(missions), by=by, prefix=prefix, new=new
        )
    )


def _again(values: Iterable[Any]) -> Iterable[Any]:
    """`values`, which the handlers may go through more than once (an iterator is read
    into a list; a list or a re-reading view is kept as it is)."""
    return list(values) if isinstance(values, Iterator) else values
