"""Domain events: how an app tells the apps above it what happened, never naming them.

The app whose state moved defines its events as frozen dataclasses, with one small
function per event that builds and publishes it (e.g. `receivables/events.py`). An
app above subscribes a handler to an event's class in its `AppConfig.ready()`.

Handlers run at once, in the publishing action's transaction: what they write (an
outbox row, a history line) commits or rolls back with the change that caused it.
A handler never calls an outside service: it queues an outbox delivery instead.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E")

_handlers: defaultdict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call `handler(event)` for every event of `event_type` published from now on."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def publish(event: object) -> None:
    """Hand `event` to its subscribers, in the order they subscribed."""
    for handler in tuple(_handlers[type(event)]):
        handler(event)
