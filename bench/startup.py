"""What a new user meets first: `make run` in a fresh clone, to the first page answered;
then Ctrl-C and `make run` again (the second start), to the first page answered.

    python -m bench.startup

The clone is of this checkout's last commit, in a temporary folder, with the machine's
package caches as they are (uv's cache, Debian's packages): what a person who already
has the tools sees. Beside the two starts, in the same run, the floor every start pays:
one Python process importing the app (`manage.py check`), timed three times.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, figure, machine, table

PORT = 8097
# What the output says along the way, in the order it says it: when each phase ended.
MARKERS = [
    ("dependencies installed", ("Installed", "Audited", "Resolved", "Checked")),
    ("demo data in, logins printed", ("Demo logins",)),
    ("gunicorn listening", ("Listening at",)),
]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    for name in ("DATABASE_URL", "VAR_DIR", "EMAIL_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def first_page(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200 and b"<form" in response.read()
    except OSError:
        return False


def start(checkout: Path, log: Path) -> dict[str, float]:
    """`make run` until the first page answers; then Ctrl-C. Seconds at each marker."""
    began = time.perf_counter()
    seen: dict[str, float] = {}
    with log.open("a") as out:
        process = subprocess.Popen(
            ["make", "run", f"PORT={PORT}"],
            cwd=checkout,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

        def read():
            for line in process.stdout:
                out.write(line)
                for name, words in MARKERS:
                    if name not in seen and any(word in line for word in words):
                        seen[name] = time.perf_counter() - began

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            while not first_page(PORT):
                if process.poll() is not None:
                    raise SystemExit(f"make run stopped; see {log}")
                if time.perf_counter() - began > 600:
                    raise SystemExit(f"no page after 600 s; see {log}")
                time.sleep(0.05)
            seen["first page answered"] = time.perf_counter() - began
        finally:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's group
            process.wait(timeout=60)
            reader.join(timeout=5)
    return seen


def import_floor(checkout: Path) -> float:
    times = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run(
            [str(checkout / ".venv/bin/python"), "manage.py", "check"],
            cwd=checkout,
            env=clean_env(),
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - began)
    return min(times)


def main():
    with tempfile.TemporaryDirectory(prefix="facturier-startup-") as folder:
        checkout = Path(folder) / "facturier"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
        log = Path(folder) / "make-run.log"
        first = start(checkout, log)
        second = start(checkout, log)
        floor = import_floor(checkout)
        if "--log" in sys.argv:
            print(log.read_text())
    names = [name for name, _ in MARKERS] + ["first page answered"]
    table(
        "make run, seconds from the command to each step (first start, second start)",
        ["step", "first", "second"],
        [
            [n, f"{first.get(n, float('nan')):.1f}", f"{second.get(n, float('nan')):.1f}"]
            for n in names
        ],
    )
    print(f"\none process importing the app (manage.py check): {floor:.2f} s")
    print(f"\n{machine()}; uv's package cache as the machine has it")
    figure(
        "make run, fresh clone to first page",
        first["first page answered"],
        20,
        unit=" s",
        higher_is_better=False,
    )
    figure(
        "make run, second start to first page",
        second["first page answered"],
        6,
        unit=" s",
        higher_is_better=False,
    )
    figure(
        "second start / one app import",
        second["first page answered"] / floor,
        2.5,
        higher_is_better=False,
    )


if __name__ == "__main__":
    main()
