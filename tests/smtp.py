"""A real SMTP server in the test process (aiosmtpd), told how to answer: each DATA by
a script, and chosen recipients refused at RCPT."""

import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScriptedHandler:
    """Answers each DATA with the next scripted reply: '250', '451 ...', '550 ...',
    'disconnect' (drops the connection mid-DATA) or 'hang' (waits until released)."""

    def __init__(self):
        self.script: list[str] = []
        self.refuse: dict[str, str] = {}  # recipient -> the RCPT answer that refuses it
        self.received = []
        self.peers = []  # the client's (host, port) of each accepted message: its connection
        self.release = threading.Event()
        self.hanging = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        action = self.script.pop(0) if self.script else "250"
        if action == "disconnect":
            server.transport.abort()
            return "421 gone"
        if action == "hang":
            self.hanging.set()
            import asyncio

            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 too late"
        if action != "250":
            return action
        self.received.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        self.peers.append(session.peer)
        return "250 2.0.0 OK queued"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = ScriptedHandler()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return [message for _rcpt, message in self.handler.received]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?tls=false&timeout=5"
