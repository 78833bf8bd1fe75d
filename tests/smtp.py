"""A real SMTP server in the test process (aiosmtpd), told how to answer: each DATA by
a script, and chosen recipients refused at RCPT."""

import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


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
    """`login`: (user, password) the server requires (AUTH over plain text, as a test
    may); None: anyone may send."""

    def __init__(self, port: int | None = None, *, login: tuple[str, str] | None = None):
        self.port = port or free_port()
        self.handler = ScriptedHandler()
        self.controller = None
        self.login = login
        self.login_peers = []  # the connection of each AUTH the server answered

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        self.login_peers.append(session.peer)
        given = (
            (auth_data.login.decode(), auth_data.password.decode())
            if isinstance(auth_data, LoginPassword)
            else None
        )
        # handled=False: the server answers a failure itself (535 5.7.8).
        return AuthResult(success=given == self.login, handled=False)

    def start(self):
        auth = {}
        if self.login is not None:
            auth = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)
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

    def url_with(self, user: str, password: str) -> str:
        return f"smtp://{user}:{password}@127.0.0.1:{self.port}?tls=false&timeout=5"
