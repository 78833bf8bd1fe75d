"""The queue of tasks (PDF renders) the worker runs after the deliveries: django-tasks'
database backend, its row written by a statement compiled once.

Every finalization queues its PDF's render inside its transaction, and the billing
run one per invoice it finalizes: the ORM's create() built the INSERT anew each time,
and enqueue() built the task's result twice (each importing the task again). The row
is the one the package's `_task_to_db_task` writes, its fields copied from it (the
package is pinned by the lock file; a test compares the two backends' rows column by
column). The row's pre_save receivers are told as save() tells them; nothing listens
to its post_save, which is not sent. Like every compiled statement it writes to the
default database.
"""

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import pre_save
from django_tasks_db import DatabaseBackend
from django_tasks_db.compat import normalize_json, task_enqueued

from facturier.core import compiled_sql


class TaskBackend(DatabaseBackend):
    def _task_to_db_task(self, task, args, kwargs):
        from django_tasks_db.models import DBTaskResult

        row = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        # What save() would tell the package first (it dates an undeferred task's
        # run_after far ahead, the worker's order needing a value).
        pre_save.send(
            DBTaskResult, instance=row, raw=False, using=DEFAULT_DB_ALIAS, update_fields=None
        )
        compiled_sql.insert([row])
        return row

    def enqueue(self, task, args, kwargs):
        # The package's, with the task's result built once (it imports the task again).
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result
        task_enqueued.send(type(self), task_result=result)
        return result
