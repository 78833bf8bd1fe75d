"""Shared bench helpers: Django set up on a bench database, interleaved timing, reports.

The machines are noisy, so every figure is a ratio against a baseline measured in
the same process, interleaved (A B A B ...), with medians over rounds.
"""

import gc
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def setup_django(database_url: str | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.settings")
    os.environ.setdefault("VAR_DIR", str(OUT / "var"))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{OUT / 'bench.sqlite3'}"
    os.environ.setdefault("EMAIL_URL", "locmem://")
    import django

    django.setup()


@contextmanager
def gunicorn(app: str = "facturier.wsgi", *, port: int | None = None) -> Iterator[str]:
    """The app served by gunicorn (one sync worker) on this bench's database, while the
    block runs; yields its base URL once it answers. `port`: BENCH_PORT, or a free one."""
    import requests

    port = port or int(os.environ.get("BENCH_PORT") or 0)
    if not port:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--pythonpath",
            f"{ROOT / 'src'},{ROOT}",
        ],
        env=dict(os.environ),  # DATABASE_URL and VAR_DIR, as setup_django set them
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/login/", timeout=30)
                break
            except requests.ConnectionError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn stopped (exit {server.returncode})") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer in 30 s")
        yield base
    finally:
        server.terminate()
        server.wait()


def migrate_fresh() -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.close()
        Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


def interleave(
    runs: dict[str, Callable[[int], object]],
    *,
    rounds: int,
    per_round: int = 1,
    warmup: int = 1,
    gc_off: bool = False,
    before_round: Callable[[int], object] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call for each run, alternating A B A B so noise hits all alike.

    gc_off: keep Python's collector off while the runs interleave (as timeit
    does) and collect after, so one run's garbage is not collected in another
    run's time. (Collecting before each call would not do: walking every object
    leaves the CPU caches cold for the call that follows.)
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    counter = 0
    if gc_off:
        gc.disable()
    try:
        for run in runs.values():
            for _ in range(warmup):
                run(counter)
                counter += 1
        for round_index in range(rounds):
            if before_round is not None:
                before_round(round_index)
            for name, run in runs.items():
                start = time.perf_counter()
                for _ in range(per_round):
                    run(counter)
                    counter += 1
                times[name].append((time.perf_counter() - start) / per_round)
    finally:
        if gc_off:
            gc.enable()
            gc.collect()
    return times


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def percentile_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def figure(
    name: str, value: float, target: float, *, unit: str = "x", higher_is_better: bool = True
) -> bool:
    ok = value >= target if higher_is_better else value <= target
    sign = "≥" if higher_is_better else "≤"
    print(
        f"FIGURE {name}: {value:.2f}{unit} (target {sign} {target}{unit}) "
        f"{'PASS' if ok else 'SHORT'}"
    )
    return ok


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


def bench_firm(clients: int):
    """A firm with its numbering, a user "bench" with the processing permission, and
    `clients` clients: what each data loader starts from. Returns (firm, user, ids)."""
    from django.contrib.auth.models import Permission

    from facturier.clients.models import Client
    from facturier.firms.models import Firm, User
    from facturier.invoicing.models import InvoiceSequence

    firm = Firm.objects.create(name="Bench & Associés", city="Paris")
    InvoiceSequence.objects.create(firm=firm)
    user = User.objects.create_user("bench", password="bench-password", firm=firm)
    user.user_permissions.add(Permission.objects.get(codename="process_invoices"))
    Client.objects.bulk_create(
        [Client(firm=firm, name=f"Client {i:04d} SARL", city="Lyon") for i in range(clients)]
    )
    fresh = User.objects.get(pk=user.pk)  # no permissions cached from the setup
    return firm, fresh, list(Client.objects.values_list("pk", flat=True))
