"""`manage.py platform_sandbox`: the local approved platform (see einvoicing.sandbox),
for `make run` and for trying the e-invoicing flow without an account anywhere."""

import signal
import threading

from django.core.management.base import BaseCommand

from facturier.einvoicing import sandbox


class Command(BaseCommand):
    help = "Run a local e-invoicing platform (AFNOR XP Z12-013 Flow Service) in memory."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8555)
        parser.add_argument(
            "--step", type=float, default=8.0, help="seconds between the buyer's steps"
        )
        parser.add_argument(
            "--webhook", default=None, help="the address to call when a flow changes"
        )

    def handle(self, *args, host, port, step, webhook, **options):
        server, _platform = sandbox.serve(host, port, step=step, webhook=webhook)
        self.stdout.write(
            f"Local e-invoicing platform on http://{host}:{port}/ "
            f"(client id {sandbox.CLIENT_ID}, secret {sandbox.CLIENT_SECRET})"
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        server.shutdown()
