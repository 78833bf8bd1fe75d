"""A real OpenID Connect provider for the tests: node's oidc-provider run by
scripts/oidc_provider.mjs on a free port, with one static client and its users; and a
member going through its login and consent pages, as a browser would."""

import json
import os
import re
import shutil
import socket
import subprocess
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "oidc_provider.mjs"
CLIENT_ID = "facturier-tests"
CLIENT_SECRET = "a-secret-of-the-tests-long-enough-for-the-provider"  # noqa: S105


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_provider(redirect_uris: list[str], users: dict[str, dict] | None = None):
    """Starts the provider; yields its issuer address. Skipped without node or npm ci."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("node and `npm ci` are needed for the OpenID provider")
    port = free_port()
    env = os.environ | {
        "OIDC_PORT": str(port),
        "OIDC_CLIENT": json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
            }
        ),
        "OIDC_USERS": json.dumps(users or {}),
    }
    process = subprocess.Popen(  # noqa: S603
        [node, str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("ready "), f"the provider did not start: {line!r}"
        yield line.split(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _form(page: str, base: str) -> tuple[str, dict[str, str]]:
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page)[1])
    fields = {
        name: unescape(value)
        for name, value in re.findall(
            r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page
        )
    }
    return urljoin(base, action), fields


def through_provider(authorize_url: str, *, login: str, back_to: str) -> str:
    """Goes through the provider's pages from `authorize_url` (login, then consent) and
    returns the address it sends the member back to (which starts with `back_to`)."""
    with httpx.Client(follow_redirects=False, timeout=10) as http:
        answer = http.get(authorize_url)
        for _step in range(10):
            if answer.is_redirect:
                location = urljoin(str(answer.url), answer.headers["location"])
                if location.startswith(back_to):
                    return location
                answer = http.get(location)
                continue
            page = answer.text
            action, fields = _form(page, str(answer.url))
            if 'name="login"' in page:
                fields |= {"login": login, "password": "any"}
            answer = http.post(action, data=fields)
    raise AssertionError("the provider never sent the member back")
