"""11. Importing 100,000 time entries from CSV (checked, then written all or nothing):
`work.imports.import_entries` against a bare csv.reader loop inserting the same rows
with executemany, interleaved; and the growth of resident memory while it runs.

    python -m bench.entries_import [--db sqlite|postgres] [--quick]
"""

import argparse
import datetime
import io
import random
import time

from bench.common import OUT, bench_firm, figure, interleave, machine, median_ms, setup_django
from bench.fec import PeakResident
from bench.invoice_list import PG_URL, ensure_pg_database


def setup(staff_count: int, clients: int):
    from django.contrib.auth.models import Permission

    from facturier.firms.models import User
    from facturier.work.models import StaffRate, WorkCode

    firm, user, client_ids = bench_firm(clients)
    user.user_permissions.add(Permission.objects.get(codename="process_all_entries"))
    User.objects.bulk_create(
        [User(username=f"staff{i:03d}", firm=firm) for i in range(staff_count - 1)]
    )
    codes = WorkCode.objects.bulk_create(
        [WorkCode(firm=firm, code=f"C{i:02d}", name=f"Code {i}") for i in range(20)]
    )
    staff = list(User.objects.filter(firm=firm).values_list("username", "pk"))
    StaffRate.objects.bulk_create(
        [
            StaffRate(firm=firm, staff_id=pk, rate=100, effective_from=datetime.date(2020, 1, 1))
            for _name, pk in staff
        ]
    )
    return User.objects.get(pk=user.pk), client_ids, [c.code for c in codes], staff


def csv_file(rows: int, client_ids, codes, staff) -> bytes:
    rng = random.Random(100)
    today = datetime.date.today()
    out = io.StringIO()
    out.write("staff,client,work_code,date,hours,description,billable\n")
    for i in range(rows):
        day = today - datetime.timedelta(days=rng.randint(0, 300))
        out.write(
            f"{staff[i % len(staff)][0]},{client_ids[rng.randrange(len(client_ids))]},"
            f"{codes[i % len(codes)]},{day.isoformat()},{rng.randint(1, 16) / 4},"
            f"Mission {i},yes\n"
        )
    return out.getvalue().encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.db == "postgres":
        ensure_pg_database()
    setup_django(PG_URL if args.db == "postgres" else f"sqlite:///{OUT / 'import.sqlite3'}")
    import csv

    from django.db import connection, transaction

    from bench.common import migrate_fresh
    from facturier.work.imports import import_entries
    from facturier.work.models import Entry

    migrate_fresh()
    count = 20_000 if args.quick else 100_000
    user, client_ids, codes, staff = setup(200, 2000)
    data = csv_file(count, client_ids, codes, staff)
    staff_ids = dict(staff)
    code_ids = dict(
        Entry._meta.get_field("work_code").related_model.objects.values_list("code", "pk")
    )
    now = datetime.datetime.now(datetime.UTC)

    def clear():
        """The previous round's rows go, bare (the ORM would look for references)."""
        with connection.cursor() as cursor:
            for table in ("work_wiptoday", "work_wipmonth", "work_entry"):
                cursor.execute(f"DELETE FROM {table}")

    def with_import(_call):
        clear()
        report = import_entries(user, data)
        assert report.written == count, report.refused[:3]
        return report

    sql = (
        "INSERT INTO work_entry (firm_id, staff_id, client_id, work_code_id, kind, day, "
        "hours, rate, amount, description, billable, state, created_at, receipt_type) "
        "VALUES (%s, %s, %s, %s, 'time', %s, %s, 100, %s, %s, %s, 'unbilled', %s, '')"
    )
    copy_columns = (
        "firm_id, staff_id, client_id, work_code_id, kind, day, hours, rate, amount, "
        "description, billable, state, created_at, receipt_type"
    )

    def insert(cursor, rows):
        if connection.vendor == "postgresql":  # COPY, as the import does there
            with cursor.cursor.copy(f"COPY work_entry ({copy_columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [*row[:4], "time", *row[4:6], 100, *row[6:9], "unbilled", row[9], ""]
                    )
        else:
            cursor.executemany(sql, rows)

    def with_bare_loop(_call):
        clear()
        reader = csv.DictReader(io.StringIO(data.decode()))
        with transaction.atomic(), connection.cursor() as cursor:
            batch = []
            for row in reader:
                hours = float(row["hours"])
                batch.append(
                    (
                        user.firm_id,
                        staff_ids[row["staff"]],
                        int(row["client"]),
                        code_ids[row["work_code"]],
                        row["date"],
                        hours,
                        hours * 100,
                        row["description"],
                        True,
                        now,
                    )
                )
                if len(batch) == 5000:
                    insert(cursor, batch)
                    batch = []
            insert(cursor, batch)

    with PeakResident() as memory:
        started = time.perf_counter()
        with_import(0)
        first = time.perf_counter() - started
    print(
        f"first import of {count} entries: {first:.1f} s, "
        f"resident memory growth {memory.growth_mib:.1f} MiB"
    )
    times = interleave(
        {"import_entries()": with_import, "bare loop": with_bare_loop}, rounds=3, warmup=0
    )
    seconds = median_ms(times["import_entries()"]) / 1000
    ratio = median_ms(times["import_entries()"]) / median_ms(times["bare loop"])
    print(
        f"\nCSV import of {count} entries, {args.db}: import_entries() {seconds:.1f} s, "
        f"bare csv + insert {median_ms(times['bare loop']) / 1000:.1f} s ({ratio:.1f}x)"
    )
    figure(
        f"import {args.db}: {count} entries from CSV",
        seconds,
        10,
        unit=" s",
        higher_is_better=False,
    )
    figure(
        f"import {args.db}: resident memory growth",
        memory.growth_mib,
        64,
        unit=" MiB",
        higher_is_better=False,
    )
    print(f"\n{machine()}, {args.db}")


if __name__ == "__main__":
    main()
