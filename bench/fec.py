"""9. The FEC of a fiscal year: 100,000 invoices and 300,000 payments, streamed to a
file as the Exports page streams it. Its time, and the growth of the process's resident
memory while it runs (sampled), against reading the same rows bare on the cursor and
writing one line each, interleaved.

    python -m bench.fec [--db sqlite|postgres] [--quick]
"""

import argparse
import datetime
import os
import threading
import time

from bench.common import OUT, figure, interleave, machine, median_ms, setup_django
from bench.invoice_list import PG_URL, ensure_pg_database

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class PeakResident:
    """The highest resident size seen while the block runs (sampled every 5 ms)."""

    def __enter__(self):
        self.start = self.peak = resident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, resident())
            self._stop.wait(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident())

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.start) / 2**20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.db == "postgres":
        ensure_pg_database()
    setup_django(PG_URL if args.db == "postgres" else f"sqlite:///{OUT / 'fec.sqlite3'}")
    from django.db import connection

    from bench.aging import populate
    from bench.common import migrate_fresh
    from facturier.invoicing.models import Invoice
    from facturier.receivables import fec

    migrate_fresh()
    count = 20_000 if args.quick else 100_000
    started = time.perf_counter()
    user = populate(count, 3)
    Invoice.objects.update(
        snapshot={
            "totals": {"vat_breakdown": [{"rate": "20.00", "base": "250.00", "vat": "50.00"}]}
        }
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"{count} invoices, {3 * count} payments written in {time.perf_counter() - started:.0f} s"
    )
    firm_id = user.firm_id
    start, end = datetime.date(2023, 1, 1), datetime.date(2025, 12, 31)
    target = OUT / "fec.txt"
    raw_sql = (
        "SELECT i.number, i.issue_date, i.total_gross, c.name FROM invoicing_invoice i "
        "JOIN clients_client c ON c.id = i.client_id WHERE i.firm_id = %s "
        "ORDER BY i.issue_date, i.id"
    )

    def with_fec(_call):
        lines = 0
        with open(target, "wb") as out:
            for entry in fec.fec_bytes(firm_id, start, end):
                out.write(entry)
                lines += entry.count(b"\n")
        return lines

    def with_sql(_call):
        lines = 0
        with connection.cursor() as cursor, open(target, "w", encoding="utf-8") as out:
            cursor.execute(raw_sql, [firm_id])
            while rows := cursor.fetchmany(2000):
                for number, day, gross, name in rows:
                    out.write(f"VT\t{number}\t{day}\t{gross}\t{name}\r\n")
                    lines += 1
        return lines

    with PeakResident() as memory:
        written = with_fec(0)
    print(f"FEC: {written} lines, {target.stat().st_size / 2**20:.1f} MiB")
    times = interleave({"fec_lines()": with_fec, "raw SQL": with_sql}, rounds=3, warmup=0)
    fec_s = median_ms(times["fec_lines()"]) / 1000
    print(
        f"\nFEC of {count} invoices and {3 * count} payments, {args.db}: "
        f"{fec_s:.1f} s, raw read {median_ms(times['raw SQL']) / 1000:.1f} s, "
        f"resident memory growth {memory.growth_mib:.1f} MiB"
    )
    figure(
        f"fec {args.db}: export of {count} invoices", fec_s, 10, unit=" s", higher_is_better=False
    )
    figure(
        f"fec {args.db}: resident memory growth",
        memory.growth_mib,
        32,
        unit=" MiB",
        higher_is_better=False,
    )
    # The baseline reads the invoices only (one line each): the ratio says what the
    # journal's lines, the payments and the formatting cost on top; no mark is set.
    ratio = median_ms(times["fec_lines()"]) / median_ms(times["raw SQL"])
    print(f"fec_lines() / raw read of the invoices: {ratio:.1f}x")
    print(f"\n{machine()}, {args.db}")


if __name__ == "__main__":
    main()
