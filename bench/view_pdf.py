"""2. View PDF through the HTTP stack (gunicorn, a logged-in session) for a finalized
invoice, against a static file of the same size served by the same stack.

    python -m bench.view_pdf [--quick]
"""

import argparse
import os
import socket
import subprocess
import sys
import time

import requests

from bench.common import OUT, ROOT, figure, machine, percentile_ms, setup_django, table


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    database = f"sqlite:///{OUT / 'view_pdf.sqlite3'}"
    setup_django(database)
    from django.core.management import call_command

    from bench.common import migrate_fresh
    from facturier.invoicing import actions
    from facturier.invoicing.models import Invoice

    migrate_fresh()
    call_command("load_demo", verbosity=0)
    invoice = Invoice.objects.filter(status="finalized").first()
    pdf = actions.pdf_for(invoice)  # stored, as after finalization
    static_dir = OUT / "var" / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    (static_dir / "same-size.bin").write_bytes(os.urandom(len(pdf)))

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database, "VAR_DIR": str(OUT / "var")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "facturier.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--pythonpath",
            str(ROOT / "src"),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        for _ in range(100):
            try:
                session.get(base + "/login/", timeout=30)
                break
            except requests.RequestException:
                time.sleep(0.1)
        session.post(
            base + "/login/",
            data={
                "username": "alice",
                "password": "facturier-demo",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
        )
        urls = {
            "view pdf": f"{base}/billing/invoices/{invoice.pk}/pdf/",
            "static file": f"{base}/static/same-size.bin",
        }
        for url in urls.values():  # warm both
            for _ in range(20):
                assert session.get(url).status_code == 200
        times = {name: [] for name in urls}
        rounds = 200 if args.quick else 1000
        for _ in range(rounds):
            for name, url in urls.items():
                start = time.perf_counter()
                response = session.get(url)
                times[name].append(time.perf_counter() - start)
                assert response.status_code == 200 and len(response.content) == len(pdf)
    finally:
        server.terminate()
        server.wait()
    table(
        f"GET through gunicorn, {len(pdf)} bytes, {rounds} interleaved rounds (ms)",
        ["what", "p50", "p95"],
        [
            [name, f"{percentile_ms(v, 0.5):.2f}", f"{percentile_ms(v, 0.95):.2f}"]
            for name, v in times.items()
        ],
    )
    print(f"\n{machine()}, SQLite")
    ratio = percentile_ms(times["view pdf"], 0.5) / percentile_ms(times["static file"], 0.5)
    figure("view pdf p50 / static file p50", ratio, 2, higher_is_better=False)
    figure(
        "view pdf p95 (ms)",
        percentile_ms(times["view pdf"], 0.95),
        20,
        unit=" ms",
        higher_is_better=False,
    )


if __name__ == "__main__":
    main()
