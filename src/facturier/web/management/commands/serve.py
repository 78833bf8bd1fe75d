"""`manage.py serve`: what `make run` starts: gunicorn, one outbox worker and, unless
--no-sandbox, the local e-invoicing platform the demo firm deposits its invoices with
(einvoicing.sandbox) and the local OpenID provider its members may sign in with
(scripts/oidc_provider.mjs, when node and `npm ci`'s oidc-provider are there), stopped
together and cleanly by Ctrl-C (SIGINT) or SIGTERM.

With --demo (what `make run` passes) it first migrates the database and collects the
static files, then loads the demo data while gunicorn boots: in this one process,
not in three `manage.py` runs that would each import the app again. The demo's
logins are printed once its data are in.

The worker is restarted after its quota of deliveries (as gunicorn recycles its
own workers) so that Typst's memory stays bounded; a worker that fails is
restarted after a pause. Everything runs under VAR_DIR, gunicorn's control
socket included, and logs in one time zone (TIME_ZONE, which Django also uses).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse

STOP_GRACE = 10  # seconds each child has to finish what it is doing
SANDBOX_OFFSET = 555  # the local platform listens on the web port + 555 (8000: 8555)
PROVIDER_OFFSET = 556  # the local OpenID provider on the web port + 556 (8000: 8556)
PROVIDER_SCRIPT = Path("scripts") / "oidc_provider.mjs"


def sandbox_port(bind: str, offset: int = SANDBOX_OFFSET) -> int:
    """The web port + 555, so that two `make run` on two ports each have their own
    platform; any free port when that one is taken."""
    port = int(bind.rpartition(":")[2]) + offset
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port if port <= 65535 else 0))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def webhook_of_sandbox_firm(bind: str, platform_port: int) -> str | None:
    """The webhook address of the (demo) firm whose platform is this start's sandbox."""
    from facturier.einvoicing.models import Platform

    platform = Platform.objects.filter(base_url__contains=f"127.0.0.1:{platform_port}").first()
    if platform is None:
        return None
    return f"http://{bind}" + reverse(
        "api-einvoicing-webhook", kwargs={"key": platform.webhook_key}
    )


class Command(BaseCommand):
    help = "Serve the app with gunicorn and run an outbox worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--demo",
            action="store_true",
            help="migrate, collect static files and load the demo data first",
        )
        parser.add_argument(
            "--no-sandbox",
            action="store_true",
            help="do not start the local e-invoicing platform",
        )

    def handle(self, *args, bind, workers, demo=False, no_sandbox=False, **options):
        self.stopping = False
        if demo:
            # What the first page needs: its tables and its static files' manifest.
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        env = {**os.environ, "TZ": settings.TIME_ZONE}
        platform_port = sandbox_port(bind)
        # The local provider vouches for any address: only beside the demo's data.
        node = None if no_sandbox or not demo else self._node()
        provider_port = sandbox_port(bind, PROVIDER_OFFSET) if node else 0
        web = self._start(self._gunicorn(bind, workers), env)
        if demo:  # while gunicorn boots; the demo firm deposits with this start's platform
            call_command(
                "load_demo",
                sandbox_port=platform_port,
                sso_port=provider_port,
                stdout=self.stdout,
            )
        # The worker and the platform start once the pages answer: on a small machine
        # their imports would otherwise compete with gunicorn's for the first page.
        self._wait_for_pages(bind, web)
        self.stdout.write(f"facturier is serving on http://{bind}/ (Ctrl-C stops it)")
        sandbox = None
        if not no_sandbox:
            command = [
                sys.executable,
                "manage.py",
                "platform_sandbox",
                "--port",
                str(platform_port),
            ]
            if hook := webhook_of_sandbox_firm(bind, platform_port):
                command += ["--webhook", hook]  # its statuses reach the firm at once
            sandbox = self._start(command, env, cwd=Path.cwd())
            self.stdout.write(
                f"Local e-invoicing platform (sandbox) on http://127.0.0.1:{platform_port}/"
            )
        provider = self._provider(node, bind, provider_port, env) if node else None
        worker = self._keep_worker_running(web, env)
        self._stop_children(worker, web, sandbox, provider)
        self.stdout.write("facturier stopped.")

    def _node(self) -> str | None:
        """Node, when it and the provider's package (`npm ci`) are there."""
        node = shutil.which("node")
        if node and (Path("node_modules") / "oidc-provider").is_dir():
            return node
        self.stdout.write(
            "No local single sign-on provider (it needs node and `npm ci`): "
            "the demo signs in with passwords only."
        )
        return None

    def _provider(self, node: str, bind: str, port: int, env: dict):
        """The local OpenID provider, its client the demo firm's (load_demo)."""
        from .load_demo import SSO_CLIENT_ID, SSO_CLIENT_SECRET

        _host, _, web_port = bind.rpartition(":")
        callback = "/login/sso/callback/"
        client = {
            "client_id": SSO_CLIENT_ID,
            "client_secret": SSO_CLIENT_SECRET,
            "redirect_uris": [
                f"http://{name}:{web_port}{callback}" for name in ("127.0.0.1", "localhost")
            ],
        }
        provider_env = env | {"OIDC_PORT": str(port), "OIDC_CLIENT": json.dumps(client)}
        process = self._start([node, str(PROVIDER_SCRIPT)], provider_env, cwd=Path.cwd())
        self.stdout.write(
            f"Local single sign-on provider (OpenID Connect) on http://127.0.0.1:{port}/"
        )
        return process

    def _gunicorn(self, bind, workers) -> list[str]:
        var = Path(settings.VAR_DIR)
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "facturier.wsgi",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--max-requests",
            "1000",
            "--max-requests-jitter",
            "100",
            "--access-logfile",
            "-",
            "--control-socket",
            str(var / "gunicorn.ctl"),
            "--worker-tmp-dir",
            str(var),
            # The app imported once, before forking its workers (and the workers
            # that replace them after --max-requests), not once per worker.
            "--preload",
        ]

    def _keep_worker_running(self, web, env):
        """Start the outbox worker, and again each time it exits, until told to stop or
        gunicorn stops; returns the last worker."""
        worker = None
        while not self.stopping:
            if worker is None or worker.poll() is not None:
                if worker is not None and worker.returncode != 0:
                    time.sleep(2)  # failed: give what it depends on a moment
                if self.stopping:
                    break
                worker = self._start(
                    [sys.executable, "manage.py", "outbox_worker"], env, cwd=Path.cwd()
                )
            if web.poll() is not None:
                self.stderr.write(f"gunicorn stopped (exit {web.returncode}).")
                break
            time.sleep(0.5)
        return worker

    def _stop_children(self, *children):
        """SIGTERM to each, then STOP_GRACE seconds to finish before it is killed."""
        for child in children:
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            if child is not None:
                try:
                    child.wait(timeout=STOP_GRACE)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()

    def _wait_for_pages(self, bind, web, timeout=60):
        """Until the login page answers (a first request also warms the worker up)."""
        host, _, port = bind.rpartition(":")
        host = "127.0.0.1" if host in ("", "0.0.0.0") else host.strip("[]")
        deadline = time.monotonic() + timeout
        while not self.stopping and web.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{host}:{port}/login/", timeout=timeout).close()
                return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.1)

    def _start(self, command, env, cwd=None):
        # A process group of its own: the terminal's Ctrl-C reaches this command only,
        # which stops the children in order.
        return subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True)

    def _stop(self, *_):
        self.stopping = True
