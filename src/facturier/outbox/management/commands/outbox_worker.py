"""The outbox worker: carries out due deliveries of every registered kind, then the
queued tasks (PDF renders). Exits after --max-deliveries so a supervisor restarts it
fresh (Typst's memory only plateaus; a new process frees it).

It never stops on a failure: a delivery that cannot be carried out is an attempt
(see outbox.engine), a row that breaks the loop is logged and skipped, and a
mail server that is down makes deliveries wait for their next attempt while the
worker keeps running."""

import logging
import signal
import time
import uuid

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from facturier.outbox import engine, kinds
from facturier.outbox.models import DeliveryStatus

logger = logging.getLogger("facturier.outbox.worker")

# Deliveries claimed at a time: few enough that another worker finds the next ones.
BATCH = 10


class Command(BaseCommand):
    help = "Carry out the outbox (e-mails): run one or more beside the web server."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--max-deliveries", type=int, default=2000)
        parser.add_argument("--once", action="store_true", help="Drain what is due, then exit.")
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Only deliveries and tasks: no reminders' pass (it runs every hour otherwise).",
        )

    def handle(self, *args, interval, max_deliveries, once, no_periodic, **options):
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        worker_id = f"outbox-{uuid.uuid4().hex[:8]}"
        logger.info("Outbox worker %s started", worker_id)
        done = 0
        # The mail settings come from this process's environment: what held the queue
        # under the last worker's may be right now, so held deliveries go at once.
        self._step("resume", self._resume_held, default=None)
        while self.running and done < max_deliveries:
            # Due deliveries first, over one connection per kind: fresh ones, retries
            # that came due, and those whose worker vanished mid-send (expired lease).
            # Every step is guarded: nothing one step raises ends the worker.
            if not no_periodic:
                self._step("periodic", self._run_periodic, default=None)
            drained = self._step("deliveries", self._drain, max_deliveries - done, default=0)
            done += drained + self._step(
                "tasks", self._run_tasks, max(max_deliveries - done, 1), worker_id, default=0
            )
            self._step("statistics", self._keep_sqlite_statistics, default=None)
            self._step("connections", close_old_connections, default=None)
            # --once: until nothing is due, or a pass could try nothing (a kind whose
            # pass fails every time must not keep a one-shot run going for ever).
            if once and (not drained or not self._step("due", self._anything_due, default=False)):
                break
            if not once:
                time.sleep(interval)
        logger.info("Outbox worker %s stopped after %s deliveries and tasks", worker_id, done)

    def _resume_held(self) -> None:
        for kind in kinds.registered():
            engine.resume_held(kind.model.objects.all(), now=timezone.now())

    def _step(self, name: str, run, *args, default):
        """One step of the loop: what it raises is logged, and the step is tried again
        at the next pass (a locked SQLite database, a connection gone, a bug)."""
        try:
            return run(*args)
        except Exception:  # noqa: BLE001 - the worker outlives any one step's failure
            logger.exception("The worker's %s step failed; trying again next pass", name)
            try:
                close_old_connections()
            except Exception:  # noqa: BLE001 - the connection may be what failed
                logger.exception("Closing the database connections failed")
            return default

    def _run_periodic(self) -> None:
        """Work registered to run every so often (the reminders' pass), first at start."""
        now = time.monotonic()
        last = self.__dict__.setdefault("_last_periodic", {})
        for job in kinds.periodic():
            if job.name in last and now - last[job.name] < job.seconds:
                continue
            last[job.name] = now
            try:
                job.run()
            except Exception:  # noqa: BLE001 - the worker outlives any one pass's failure
                logger.exception("The %s pass failed; trying again at the next one", job.name)
                close_old_connections()

    def _anything_due(self) -> bool:
        now = timezone.now()
        return any(engine.due(kind.model, now).exists() for kind in kinds.registered())

    def _run_tasks(self, limit: int, worker_id: str) -> int:
        """The queued tasks (PDF renders)."""
        tasks = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=limit,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        try:
            tasks.run()
        except Exception:  # noqa: BLE001 - the worker outlives any one task's failure
            logger.exception("Running the queued tasks failed; trying again next pass")
            close_old_connections()
        return tasks._run_tasks

    def _keep_sqlite_statistics(self) -> None:
        """SQLite keeps no planner statistics by itself: refresh them now and then."""
        now = time.monotonic()
        if connection.vendor == "sqlite" and now - getattr(self, "_optimized", 0) > 600:
            self._optimized = now  # a failure waits for the next turn, not the next pass
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA optimize")

    def _drain(self, limit: int) -> int:
        tried = 0
        for kind in kinds.registered():
            try:
                tried += self._drain_kind(kind, limit - tried)
            except Exception:  # noqa: BLE001 - e.g. the database went away mid-pass
                logger.exception("The %s pass failed; trying again next pass", kind.name)
                close_old_connections()
        return tried

    def _drain_kind(self, kind, limit: int) -> int:
        tried, failed = 0, 0
        engine.close_exhausted(kind, now=timezone.now())
        with kind.transport() as transport:
            while self.running and tried < limit:
                batch = list(
                    engine.due(kind.model, timezone.now())
                    .order_by("next_attempt_at", "pk")
                    .values_list("pk", flat=True)[: min(BATCH, limit - tried)]
                )
                if not batch:
                    break
                tries = engine.process_batch(kind, batch, transport=transport)
                try:
                    for _pk, status in tries:
                        tried += 1
                        failed += status != DeliveryStatus.SENT
                        if not self.running:
                            break
                except Exception:  # noqa: BLE001 - one bad row never stops the worker
                    logger.exception("%s: a delivery could not be processed; skipped", kind.name)
                    tried += 1
                    failed += 1
                finally:
                    tries.close()  # hands back what was claimed and not tried
                if not self.running or tried >= limit:
                    break
        if failed:
            logger.warning(
                "%s: %s of %s tries did not go through; they wait for their next attempt",
                kind.name,
                failed,
                tried,
            )
        return tried

    def _stop(self, *_):
        self.running = False
