"""Nothing one step of the worker's loop raises ends the worker: each step's failure is
logged and the step is tried again at the next pass."""

import pytest
from django.core.management import call_command
from django.db import OperationalError

from facturier.outbox import kinds
from facturier.outbox.management.commands import outbox_worker

pytestmark = pytest.mark.django_db

STEPS = ["_run_periodic", "_drain", "_run_tasks", "_keep_sqlite_statistics"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", STEPS)
def test_a_failing_step_is_logged_and_tried_again_next_pass(step, monkeypatch, caplog):
    calls = []
    original = getattr(outbox_worker.Command, step)

    def fails_first(self, *args):
        calls.append(step)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return original(self, *args)

    monkeypatch.setattr(outbox_worker.Command, step, fails_first)
    command = outbox_worker.Command()
    command._optimized = -1e9  # the statistics are due at the first pass
    passes = []

    def two_passes(_seconds):  # the loop sleeps once a pass: stop after the second
        passes.append(1)
        command.running = len(passes) < 2

    monkeypatch.setattr(outbox_worker.time, "sleep", two_passes)
    monkeypatch.setattr(outbox_worker.signal, "signal", lambda *_: None)
    command.handle(interval=0, max_deliveries=100, once=False, no_periodic=False)
    assert len(passes) == 2  # the worker went on after the failure
    assert "database is locked" in caplog.text
    assert calls == [step, step]  # and the step ran again at the next pass


def test_the_sqlite_statistics_step_that_finds_the_database_locked_does_not_stop_the_worker(
    monkeypatch, caplog
):
    def locked(self):
        raise OperationalError("database is locked")

    monkeypatch.setattr(outbox_worker.Command, "_keep_sqlite_statistics", locked)
    call_command("outbox_worker", once=True, no_periodic=True)
    assert "statistics step failed" in caplog.text


def test_a_periodic_pass_that_fails_does_not_stop_the_worker(monkeypatch, caplog):
    def broken():
        raise RuntimeError("a bug in the pass")

    monkeypatch.setattr(kinds, "_PERIODIC", {"broken": kinds.Periodic("broken", 1, broken)})
    call_command("outbox_worker", once=True)
    assert "The broken pass failed" in caplog.text


def test_a_failing_check_for_what_is_due_ends_a_one_shot_run_quietly(monkeypatch, caplog):
    def locked(self):
        raise OperationalError("database is locked")

    monkeypatch.setattr(outbox_worker.Command, "_anything_due", locked)
    monkeypatch.setattr(outbox_worker.Command, "_drain", lambda self, limit: 1)
    call_command("outbox_worker", once=True, no_periodic=True)
    assert "due step failed" in caplog.text
