"""A real OpenID Connect provider for the sign-in tests: oidc-provider (Node.js) on a
free loopback port, and a way to sign in at it as a person would (its development
login and consent pages), following its redirects until it sends the browser back."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from tests.support.running import free_port

HERE = Path(__file__).parent / "oidc"
SECRET = "casebook-tests-only-oidc-client-secret"


@dataclass
class Provider:
    """The running provider: its issuer URL and its clients' secret."""

    issuer: str
    secret: str = SECRET


@contextmanager
def running_provider(
    clients: list[dict[str, Any]], claims: dict[str, Any] | None = None, port: int = 0
) -> Iterator[Provider]:
    """Start the provider with these clients (each with the tests' secret) and the
    claims every account has, on this port (or a free one); stop it when the block ends."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("the sign-in tests need Node.js and `make oidc` (npm ci)")
    port = port or free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "OIDC_PORT": str(port),
        "OIDC_CLIENTS": json.dumps([{"client_secret": SECRET, **c} for c in clients]),
        "OIDC_CLAIMS": json.dumps(claims or {}),
    }
    proc = subprocess.Popen(
        [node, "provider.js"],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the OpenID provider did not start")
            time.sleep(0.1)
        yield Provider(issuer)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def sign_in_at_provider(browser: httpx.Client, url: str, login: str, back_to: str) -> str:
    """Follow the provider from its authorization URL through its login and consent
    pages as `login`; the URL it sends the browser back to (starting with `back_to`)."""
    for _ in range(20):
        if url.startswith(back_to):
            return url
        r = browser.get(url)
        if r.is_redirect:
            url = urljoin(url, r.headers["location"])
            continue
        assert r.status_code == 200, r.text
        action = re.search(r'<form[^>]*action="([^"]+)"', r.text)
        prompt = re.search(r'name="prompt" value="(\w+)"', r.text)
        assert action and prompt, r.text
        target = urljoin(url, html.unescape(action[1]))
        r = browser.post(target, data={"prompt": prompt[1], "login": login, "password": "x"})
        assert r.is_redirect, r.text
        url = urljoin(target, r.headers["location"])
    raise AssertionError("the provider never sent the browser back")
