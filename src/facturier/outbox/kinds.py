"""The kinds of delivery the worker carries out, registered by the apps that own them.

A kind names its model (built on outbox.models.Delivery) and says how to carry
one out. The outbox knows nothing else of it, so it depends on core only, and
apps along the money's path plug their deliveries in (InvoicingConfig.ready()).
"""

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .models import Delivery

if TYPE_CHECKING:
    from django.db.models import QuerySet

__all__ = [
    "Delivery",
    "DeliveryKind",
    "Outcome",
    "Periodic",
    "periodic",
    "register",
    "register_periodic",
    "registered",
]


@dataclass(frozen=True)
class Outcome:
    """What a try came to. `status` is one of DeliveryStatus; `reason` is for people."""

    status: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    # `reason` in every language the app speaks, when the engine wrote it.
    texts: dict[str, str] = field(default_factory=dict)


class DeliveryKind(Protocol):
    name: str
    model: type[Delivery]

    def rows(self) -> "QuerySet[Delivery]":
        """The deliveries with what sending and recording them read (joined: one query
        loads any number of them)."""

    def transport(self) -> contextlib.AbstractContextManager[Any]:
        """A connection shared by the deliveries of one pass (opened lazily by send)."""

    def send(self, item: Delivery, transport: Any) -> Outcome:
        """Prepare and send one delivery; may raise anything (it counts as an attempt)."""

    def classify(self, exc: BaseException) -> tuple[bool, str]:
        """(try again later?, the reason in plain words) for an error `send` raised."""

    def held(self, exc: BaseException) -> str | None:
        """The server's words if `exc` is a failure of the firm's configuration
        (credentials refused, a server unreachable): the delivery is held, no attempt
        counted. Optional: a kind without it counts every failure."""

    def held_scope(self, item: Delivery) -> dict[str, Any]:
        """Which deliveries share the settings that held `item` (a filter): they wait
        with it. Optional: without it, every delivery of the kind."""

    def language(self, item: Delivery) -> str:
        """The language its reasons are written in."""

    def record(self, item: Delivery, attempt: int, outcome: Outcome) -> None:
        """Store the outcome of attempt number `attempt` (an action of the owning app)."""


_KINDS: dict[str, DeliveryKind] = {}


def register(kind: DeliveryKind) -> DeliveryKind:
    _KINDS[kind.name] = kind
    return kind


def registered() -> list[DeliveryKind]:
    return list(_KINDS.values())


@dataclass(frozen=True)
class Periodic:
    """Work the worker does every `seconds` on its own (e.g. the reminders' pass).

    Each worker keeps its own clock, so with several workers a pass may run more
    often: the work must be safe to run twice (the reminders' unique record is)."""

    name: str
    seconds: float
    run: Any


_PERIODIC: dict[str, Periodic] = {}


def register_periodic(name: str, seconds: float, run) -> Periodic:
    _PERIODIC[name] = Periodic(name, seconds, run)
    return _PERIODIC[name]


def periodic() -> list[Periodic]:
    return list(_PERIODIC.values())
