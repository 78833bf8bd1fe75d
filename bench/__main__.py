"""make bench: run every benchmark and write bench/RESULTS.md from this run.

    python -m bench [--quick] [--only NAME ...]

--only re-runs the scripts whose command contains NAME and replaces their
sections in RESULTS.md, keeping the others (each section says when it ran).
"""

import argparse
import datetime
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.common import machine

SCRIPTS = [
    ["bench.startup"],
    ["bench.pdf_render"],
    ["bench.view_pdf"],
    ["bench.invoice_list", "--db", "sqlite"],
    ["bench.invoice_list", "--db", "postgres"],
    ["bench.finalize_concurrency"],
    ["bench.bulk_email"],
    ["bench.payments", "--db", "sqlite"],
    ["bench.payments", "--db", "postgres"],
    ["bench.aging", "--db", "sqlite"],
    ["bench.aging", "--db", "postgres"],
    ["bench.fec", "--db", "sqlite"],
    ["bench.fec", "--db", "postgres"],
    ["bench.wip", "--db", "sqlite"],
    ["bench.wip", "--db", "postgres"],
    ["bench.entries_import", "--db", "sqlite"],
    ["bench.entries_import", "--db", "postgres"],
    ["bench.clients_list"],
    ["bench.engagements"],
    ["bench.portal"],
    ["bench.sign_in"],
    ["bench.sepa"],
]
RESULTS = Path(__file__).with_name("RESULTS.md")
QUICK = ("bench.pdf_render", "bench.view_pdf", "bench.invoice_list")
# The demo loader's login list is not a result.
NOISE = re.compile(r"^(Demo |  (admin|alice|bob|carol|dave|erin) )")


def run(script: list[str], quick: bool) -> tuple[str, str]:
    command = [sys.executable, "-m", *script]
    if quick and script[0] in QUICK:
        command.append("--quick")
    shown = " ".join(["python", *command[1:]])
    print("$", shown, flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    output = result.stdout + (result.stderr if result.returncode else "")
    print(output, flush=True)
    kept = "\n".join(line for line in output.splitlines() if not NOISE.match(line)).strip()
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    status = "" if result.returncode == 0 else f" (exit {result.returncode})"
    return shown, f"## `{shown}`{status}\n\nRun {when}.\n\n```\n{kept}\n```\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    sections: dict[str, str] = {}
    if args.only and RESULTS.exists():
        for chunk in RESULTS.read_text().split("\n## `")[1:]:
            sections[chunk.split("`", 1)[0]] = "## `" + chunk.rstrip() + "\n"
    for script in SCRIPTS:
        label = " ".join(script)
        if args.only and not any(name in label for name in args.only):
            continue
        shown, section = run(script, args.quick)
        sections[shown] = section
    head = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}, SQLite {sqlite3.sqlite_version} and PostgreSQL 15 on "
        "127.0.0.1. Produced by `make bench` (`python -m bench`; `--only NAME` re-runs one).",
        "Every figure is a ratio or a percentile from one run, the compared things "
        "interleaved; the machine is noisy (2 shared cores), so read the ratios.",
        "",
    ]
    order = [" ".join(["python", "-m", *s]) for s in SCRIPTS]
    body = [
        sections[key]
        for key in sorted(
            sections,
            key=lambda k: (next((i for i, o in enumerate(order) if k.startswith(o)), 99), k),
        )
    ]
    RESULTS.write_text("\n".join(head) + "\n" + "\n".join(body))


if __name__ == "__main__":
    main()
