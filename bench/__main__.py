"""make bench: run every benchmark and write bench/RESULTS.md from this run.

python -m bench [--quick]
"""

import datetime
import subprocess
import sys
from pathlib import Path

from bench.common import machine

SCRIPTS = [
    ["bench.pdf_render"],
    ["bench.view_pdf"],
    ["bench.invoice_list", "--db", "sqlite"],
    ["bench.invoice_list", "--db", "postgres"],
    ["bench.finalize_concurrency"],
    ["bench.bulk_email"],
]


def main():
    quick = "--quick" in sys.argv[1:]
    sections = []
    for script in SCRIPTS:
        command = [sys.executable, "-m", *script]
        if quick and script[0] in ("bench.pdf_render", "bench.view_pdf", "bench.invoice_list"):
            command.append("--quick")
        print("$", " ".join(["python", *command[1:]]), flush=True)
        result = subprocess.run(command, capture_output=True, text=True)
        output = result.stdout + (result.stderr if result.returncode else "")
        print(output, flush=True)
        # The demo loader's login list is not a result.
        kept = "\n".join(
            line
            for line in output.splitlines()
            if not line.startswith(
                ("Demo ", "  admin", "  alice", "  bob", "  carol", "  dave", "  erin")
            )
        )
        sections.append((" ".join(["python", "-m", *script]), kept, result.returncode))
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        "# Benchmark results",
        "",
        f"Last run: {now}, {machine()}, SQLite {__import__('sqlite3').sqlite_version} and "
        "PostgreSQL on 127.0.0.1. Produced by `make bench` (`python -m bench`).",
        "Every figure is a ratio or a percentile measured in one run, the compared "
        "things interleaved; the machine is noisy, so read the ratios, not the absolute times.",
        "",
    ]
    for command, output, code in sections:
        lines += [
            f"## `{command}`" + ("" if code == 0 else f" (exit {code})"),
            "",
            "```",
            output.strip(),
            "```",
            "",
        ]
    Path(__file__).with_name("RESULTS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
