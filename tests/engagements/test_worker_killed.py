"""The worker killed (SIGKILL) in the middle of its billing pass, then started again:
each period is billed exactly once, every draft has its period and every period its
draft (a process gone mid-transaction leaves nothing of that engagement)."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from facturier.engagements.models import BilledPeriod
from facturier.invoicing.models import Invoice

pytestmark = pytest.mark.django_db(transaction=True)

# Enough periods that the pass is still running when the kill comes: it bills a period
# in a few milliseconds.
ENGAGEMENTS = 40
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{connection.settings_dict['NAME']}"
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "EMAIL_URL": "locmem://"}
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "outbox_worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(predicate, worker, log: Path, seconds: float = 120, every: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert worker.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(every)


def test_a_worker_killed_mid_pass_then_restarted_bills_each_period_once(
    make_engagement, alice, tmp_path
):
    today = timezone.localdate()
    start = (today.replace(day=1) - datetime.timedelta(days=130)).replace(day=1)
    for number in range(ENGAGEMENTS):
        make_engagement(reference=f"LM-{number:02d}", responsible=alice, start_date=start)
    months = (today.year - start.year) * 12 + today.month - start.month + 1
    expected = ENGAGEMENTS * months
    log = tmp_path / "worker.log"
    worker = start_worker(log)
    try:
        wait_for(lambda: BilledPeriod.objects.count() >= 3, worker, log, every=0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
        killed_at = BilledPeriod.objects.count()
        assert killed_at < expected, "the pass ended before the kill: make it longer"
        worker = start_worker(log)
        wait_for(lambda: BilledPeriod.objects.count() >= expected, worker, log)
        time.sleep(1)  # a second pass would bill nothing more
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    assert BilledPeriod.objects.count() == expected
    assert Invoice.objects.count() == expected
    assert not Invoice.objects.exclude(pk__in=BilledPeriod.objects.values("invoice_id")).exists()
