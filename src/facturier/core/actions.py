"""What every action shares: its transaction, and the mark that a change is made by one.

An action is a function that changes persistent state. It is decorated with
@action, which runs it in a transaction that is *durable* when it is the
outermost one (Django then guarantees the change is committed when the function
returns, and refuses to let a caller fold it into a larger transaction by
mistake). Actions called by actions join their caller's transaction.

Two kinds of caller legitimately wrap actions in a transaction of their own and
say so: `unit_of_work()` (a durable transaction around several actions and their
bookkeeping, such as the API's idempotency record) and `joining()` (a framework
that already opened one, such as the admin's change views).

`in_action()` tells whether the current code runs inside an action; the test
suite fails any write to a domain table made outside one.
"""

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("facturier_action_depth", default=0)


def in_action() -> bool:
    return _depth.get() > 0


@contextlib.contextmanager
def _entered(*, durable: bool | None) -> Iterator[None]:
    token = _depth.set(_depth.get() + 1)
    try:
        if durable is None:
            yield
        else:
            with transaction.atomic(durable=durable):
                yield
    finally:
        _depth.reset(token)


def action(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` as an action: in a transaction, durable when outermost."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _entered(durable=not in_action()):
            return func(*args, **kwargs)

    wrapper.is_action = True  # type: ignore[attr-defined]
    return wrapper


@contextlib.contextmanager
def unit_of_work() -> Iterator[None]:
    """One durable transaction around several actions (all or nothing)."""
    with _entered(durable=not in_action()):
        yield


@contextlib.contextmanager
def joining() -> Iterator[None]:
    """Actions inside join the transaction a framework already opened (the admin's)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("joining() needs an open transaction to join")
    with _entered(durable=None):
        yield


@contextlib.contextmanager
def from_framework() -> Iterator[None]:
    """Actions called from a framework's hook (the admin's): they join the transaction
    the framework opened around its view, or start their own where it opened none."""
    if transaction.get_connection().in_atomic_block:
        with joining():
            yield
    else:
        yield
