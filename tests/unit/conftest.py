"""The unit tier is pure: a test here that opens a connection, starts a thread or a
process fails at once, so what runs here never waits on anything outside itself."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest


def _refused(what: str) -> Any:
    def refuse(*_: Any, **__: Any) -> NoReturn:
        raise AssertionError(
            f"a unit test may not {what}: put it in tests/service or tests/integration"
        )

    return refuse


@pytest.fixture(autouse=True)
def pure(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No sockets, threads or subprocesses in a unit test."""
    monkeypatch.setattr(socket.socket, "connect", _refused("open a network connection"))
    monkeypatch.setattr(threading.Thread, "start", _refused("start a thread"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refused("start a process"))
    yield
