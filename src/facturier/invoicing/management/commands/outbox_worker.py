"""The e-mail worker: runs queued tasks, then takes up due retries and deliveries
whose worker died (expired lease). Exits after --max-deliveries so a supervisor
restarts it fresh (Typst's memory only plateaus; a new process frees it)."""

import logging
import signal
import time
import uuid

from django.core.mail import get_connection
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from facturier.invoicing import delivery

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send the invoice e-mail outbox (run one or more beside the web server)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--max-deliveries", type=int, default=2000)
        parser.add_argument("--once", action="store_true", help="Drain what is due, then exit.")

    def handle(self, *args, interval, max_deliveries, once, **options):
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        worker_id = f"outbox-{uuid.uuid4().hex[:8]}"
        done = 0
        while self.running and done < max_deliveries:
            # Due deliveries first, over one SMTP connection: fresh ones, retries that
            # came due, and those whose worker vanished mid-send (expired lease).
            done += self._drain(max_deliveries - done)
            # Then the queued tasks (PDF renders; a delivery's task finds its row sent).
            tasks = Worker(
                queue_names=["default"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=max(max_deliveries - done, 1),
                worker_id=worker_id,
                excluded_queue_names=[],
            )
            tasks.run()
            done += tasks._run_tasks
            self._keep_sqlite_statistics()
            close_old_connections()
            if once and not delivery.due_deliveries(timezone.now()).exists():
                break
            if not once:
                time.sleep(interval)

    def _keep_sqlite_statistics(self) -> None:
        """SQLite keeps no planner statistics by itself: refresh them now and then."""
        now = time.monotonic()
        if connection.vendor == "sqlite" and now - getattr(self, "_optimized", 0) > 600:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA optimize")
            self._optimized = now

    def _drain(self, limit: int) -> int:
        sent = 0
        with get_connection() as smtp:
            while self.running and sent < limit:
                batch = list(
                    delivery.due_deliveries(timezone.now())
                    .order_by("next_attempt_at", "pk")
                    .values_list("pk", flat=True)[:100]
                )
                if not batch:
                    break
                for delivery_id in batch:
                    delivery.deliver(delivery_id, connection=smtp)
                    sent += 1
        return sent

    def _stop(self, *_):
        self.running = False
