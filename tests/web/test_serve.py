"""`manage.py serve`, what `make run` starts: gunicorn and a worker, stopped cleanly
by Ctrl-C, writing nothing outside VAR_DIR, logging in one time zone."""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_serve(tmp_path, env, *arguments) -> tuple[subprocess.Popen, Path]:
    """`manage.py serve` with its output in a log file under tmp_path."""
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", *arguments],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return server, log


def test_ctrl_c_stops_the_server_and_its_worker_cleanly(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TIME_ZONE": "Europe/Paris",
    }
    for command in (["migrate"], ["collectstatic"]):  # what a deployment does before serving
        subprocess.run(
            [sys.executable, "manage.py", *command, "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    server, log = start_serve(tmp_path, env, "--bind", f"127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.3)
        time.sleep(2)  # the worker is up too
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends
        server.wait(timeout=30)
    text = log.read_text()
    assert server.returncode == 0, text
    assert "Segmentation fault" not in text and "Traceback" not in text
    assert "facturier stopped." in text
    assert (tmp_path / "gunicorn.ctl").exists() or "Control socket" in text
    assert str(tmp_path) in text  # its control socket is under VAR_DIR
    offsets = set(re.findall(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ([+-]\d{4})\]", text))
    assert len(offsets) == 1, offsets  # gunicorn and Django log in the same zone
    # Nothing is left running: no process still listens on the port.
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        still_listening = True
    except OSError:
        still_listening = False
    assert not still_listening


def test_demo_start_prepares_the_database_and_answers_with_the_demo_logins(tmp_path):
    """`make run`'s start: migrate, static files and the demo in the serving process."""
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    server, log = start_serve(
        tmp_path, env, "--demo", "--no-sandbox", "--bind", f"127.0.0.1:{port}"
    )
    try:
        # A first start migrates, collects the static files and loads the demo: minutes
        # when the machine is busy with other tests.
        deadline = time.monotonic() + 300
        while "facturier is serving" not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as page:
            assert page.status == 200 and b'name="password"' in page.read()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    text = log.read_text()
    assert "Demo logins" in text and "alice" in text, text
    assert text.index("Demo logins") < text.index("facturier is serving")
    assert "Traceback" not in text and server.returncode == 0, text


def test_each_start_has_its_own_platform_port_and_says_it():
    from facturier.web.management.commands.serve import sandbox_port

    port = free_port()
    while port + 555 > 65535:
        port = free_port()
    with socket.socket() as taken:  # a platform already listens on port + 555
        try:
            taken.bind(("127.0.0.1", port + 555))
        except OSError:
            pytest.skip("port + 555 is in use on this machine")
        assert sandbox_port(f"127.0.0.1:{port}") not in (port + 555, port)
    assert sandbox_port(f"127.0.0.1:{port}") == port + 555
    assert sandbox_port("0.0.0.0:8000") in (8555, sandbox_port("0.0.0.0:8000"))
    source = (ROOT / "src/facturier/web/management/commands/serve.py").read_text()
    assert "Local e-invoicing platform (sandbox) on http://127.0.0.1:{platform_port}/" in source


@pytest.mark.django_db(transaction=True)
def test_the_demo_firm_deposits_with_the_platform_of_this_start():
    from django.core.management import call_command

    from facturier.firms.models import User

    call_command("load_demo", sandbox_port=8555, verbosity=0, stdout=io.StringIO())
    firm = User.objects.get(username="alice").firm
    assert firm.platform.base_url == "http://127.0.0.1:8555"
    call_command("load_demo", sandbox_port=9555, stdout=io.StringIO())  # `make run PORT=9000`
    firm.platform.refresh_from_db()
    assert firm.platform.base_url == "http://127.0.0.1:9555"
    assert firm.platform.token_url == "http://127.0.0.1:9555/oauth/token"
    from facturier.web.management.commands.serve import webhook_of_sandbox_firm

    # The platform this start runs calls the demo firm's own webhook address.
    hook = webhook_of_sandbox_firm("127.0.0.1:9000", 9555)
    assert hook == f"http://127.0.0.1:9000/api/v1/einvoicing/webhook/{firm.platform.webhook_key}/"
    assert webhook_of_sandbox_firm("127.0.0.1:9000", 8555) is None  # no firm uses that one


def test_without_node_the_server_says_so_and_the_demo_signs_in_with_passwords(
    monkeypatch, db, capsys
):
    from django.core.management import call_command

    from facturier.access.models import SingleSignOn
    from facturier.web.management.commands import serve

    monkeypatch.setattr(serve.shutil, "which", lambda name: None)
    out = io.StringIO()
    assert serve.Command(stdout=out)._node() is None
    assert "No local single sign-on provider" in out.getvalue()
    call_command("load_demo", sso_port=0)
    assert not SingleSignOn.objects.exists()
    assert "single sign-on" not in capsys.readouterr().out


def test_the_demo_firm_signs_in_with_this_starts_provider(db, capsys):
    from django.core.management import call_command

    from facturier.access.models import SingleSignOn

    call_command("load_demo", sso_port=18556)
    assert SingleSignOn.objects.get().issuer == "http://127.0.0.1:18556"
    call_command("load_demo", sso_port=18600)  # started again on another port
    sso = SingleSignOn.objects.get()
    assert sso.issuer == "http://127.0.0.1:18600" and sso.jwks_uri.startswith(sso.issuer)
    assert "through the local provider at http://127.0.0.1:18600" in capsys.readouterr().out
