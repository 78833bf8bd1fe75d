"""The task queue's backend writes the row the package's own would."""

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


LATER = datetime.datetime(2030, 1, 2, 3, 4, tzinfo=datetime.UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [{}, {"priority": 7}, {"run_after": LATER}, {"queue_name": "other", "priority": -3}],
    ids=["default", "priority", "deferred", "queue"],
)
def test_a_queued_task_is_the_row_the_package_writes(settings, options):
    settings.TASKS = {
        "default": {**settings.TASKS["default"], "QUEUES": ["default", "other"]},
    }
    backend = task_backends["default"]
    assert isinstance(backend, TaskBackend)
    task = render_pdf.using(**options)
    with CaptureQueriesContext(connection) as queries:
        ours = task.enqueue(41)
    assert len(queries) == 1  # the INSERT, nothing read back
    theirs = DatabaseBackend("default", dict(settings.TASKS["default"])).enqueue(task, [41], {})
    stored, expected = (DBTaskResult.objects.get(pk=r.id) for r in (ours, theirs))
    assert _columns(stored) == _columns(expected)
    # Not deferred: run_after is the far date the package's worker orders by.
    assert stored.run_after == options.get("run_after", get_date_max())
    assert stored.status == "READY" and stored.args_kwargs == {"args": [41], "kwargs": {}}
    # What enqueue returns is that row's result, under the row's own key.
    assert str(stored.pk) == str(ours.id) and ours.args == [41]
    assert ours.db_result.pk == stored.pk


@pytest.mark.django_db
def test_a_row_whose_own_key_is_missing_gets_its_default_as_save_gives_it():
    from facturier.core import compiled_sql

    row = DBTaskResult(
        id=None,
        args_kwargs={"args": [], "kwargs": {}},
        task_path=render_pdf.module_path,
        run_after=LATER,
        backend_name="default",
    )
    compiled_sql.insert([row])
    assert row.pk is not None
    assert DBTaskResult.objects.get(pk=row.pk).run_after == LATER
