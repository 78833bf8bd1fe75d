"""13. Signing in with a password and a TOTP code through HTTP (gunicorn): the sign-in
page, the password posted, the code posted, as a browser does. The password is hashed
as the app hashes it (Argon2id at Django's own parameters: 100 MiB, two passes), which
is most of the time; the baseline, measured interleaved in the same process, is one
bare `check_password` call, with the hash's memory kept between calls as the web
workers keep it (`core.memory.keep_hash_memory`). Each member signs in once (a TOTP
code works once per 30-second step), so there are as many members as rounds.

    python -m bench.sign_in [--quick]
"""

import argparse
import re
import time

import requests

from bench.common import OUT, figure, gunicorn, machine, percentile_ms, setup_django, table

PASSWORD = "bench-password-Tr0ub4dor"  # noqa: S105


def populate(members: int) -> list[tuple[str, bytes]]:
    """`members` staff members, each with an authenticator app; returns (username, key)."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from facturier.firms.models import Firm, User

    firm = Firm.objects.create(name="Bench & Associés", city="Paris")
    hashed = make_password(PASSWORD)  # the app's hasher (settings.PASSWORD_HASHERS[0])
    users = User.objects.bulk_create(
        [User(username=f"member{i:03d}", password=hashed, firm=firm) for i in range(members)]
    )
    found = []
    for i, user in enumerate(User.objects.filter(pk__in=[u.pk for u in users]).order_by("pk")):
        key = f"{i:040x}"
        TOTPDevice.objects.create(user=user, name="app", key=key, confirmed=True)
        found.append((user.username, bytes.fromhex(key)))
    return found


def sign_in(base: str, username: str, key: bytes) -> None:
    from django_otp.oath import totp

    browser = requests.Session()
    page = browser.get(f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    answer = browser.post(
        f"{base}/login/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
    )
    assert answer.headers.get("location") == "/login/code/", answer.status_code
    answer = browser.post(
        f"{base}/login/code/",
        {"code": f"{totp(key):06d}", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        allow_redirects=False,
    )
    assert answer.status_code == 302 and "login" not in answer.headers["location"], answer.text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(f"sqlite:///{OUT / 'sign_in.sqlite3'}")
    from django.contrib.auth.hashers import check_password, make_password
    from django.core.management import call_command

    from bench.common import migrate_fresh
    from facturier.core.memory import keep_hash_memory

    migrate_fresh()
    rounds = 10 if args.quick else 30
    members = populate(rounds + 1)
    call_command("collectstatic", interactive=False, verbosity=0)
    stored = make_password(PASSWORD)
    keep_hash_memory()  # as facturier.wsgi does in each web worker
    times = {"sign-in": [], "check_password": []}
    with gunicorn() as base:
        sign_in(base, *members[-1])  # warm-up
        check_password(PASSWORD, stored)
        for username, key in members[:rounds]:
            start = time.perf_counter()
            sign_in(base, username, key)
            times["sign-in"].append(time.perf_counter() - start)
            start = time.perf_counter()
            assert check_password(PASSWORD, stored)
            times["check_password"].append(time.perf_counter() - start)
    rows = [[k, *(f"{percentile_ms(v, q):.1f}" for q in (0.5, 0.95))] for k, v in times.items()]
    table(
        f"Sign-in with password + TOTP, {rounds} members, sqlite, through gunicorn (ms)",
        ["run", "p50", "p95"],
        rows,
    )
    p95 = percentile_ms(times["sign-in"], 0.95)
    hashing = percentile_ms(times["check_password"], 0.5)
    figure("sign-in with password + TOTP: p95", p95, 150, unit=" ms", higher_is_better=False)
    median = percentile_ms(times["sign-in"], 0.5)
    print(f"FIGURE sign-in p50 / check_password p50: {median / hashing:.2f}x")
    print(f"FIGURE sign-in p50 minus check_password p50: {median - hashing:.1f} ms")
    with open("/proc/loadavg") as load:
        print(f"\n{machine()}, sqlite, load average {load.read().split()[0]} while it ran")


if __name__ == "__main__":
    main()
