"""The task queue's backend writes the row the package's own would, and the worker
runs it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from facturier.invoicing.tasks import render_pdf
from facturier.outbox.tasks import TaskBackend


def _columns(row: DBTaskResult) -> dict:
    ignored = {"id", "enqueued_at"}  # each row's own
    return {
        field.attname: getattr(row, field.attname)
        for field in DBTaskResult._meta.concrete_fields
        if field.attname not in ignored
    }


@pytest.mark.django_db
def test_a_queued_task_is_the_row_the_package_writes(settings):
    assert isinstance(task_backends["default"], TaskBackend)
    with CaptureQueriesContext(connection) as queries:
        ours = render_pdf.enqueue(41)
    assert len(queries) == 1  # the INSERT, nothing read back
    theirs = DatabaseBackend("default", dict(settings.TASKS["default"])).enqueue(
        render_pdf, [41], {}
    )
    stored, expected = (DBTaskResult.objects.get(pk=r.id) for r in (ours, theirs))
    assert _columns(stored) == _columns(expected)
    # Not deferred: run_after is the far date the package's worker orders by.
    assert stored.run_after == get_date_max()
    assert stored.status == "READY" and stored.args_kwargs == {"args": [41], "kwargs": {}}
    # What enqueue returns is that row's result, under the row's own key.
    assert str(stored.pk) == str(ours.id) and ours.args == [41]
    assert ours.db_result.pk == stored.pk


@pytest.mark.django_db
def test_a_deferred_task_keeps_its_date():
    later = datetime.datetime(2030, 1, 2, 3, 4, tzinfo=datetime.UTC)
    result = render_pdf.using(run_after=later).enqueue(7)
    assert DBTaskResult.objects.get(pk=result.id).run_after == later
