"""Hostile requests against a real `casebook serve`, over raw sockets: huge or deeply
nested JSON, huge heads, slow clients, malformed UTF-8, Content-Type lies and query
strings of thousands of parameters are each a 4xx problem, never a 5xx, and the
process's memory stays bounded."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import schema_settings
from tests.support.running import Service, running_service
from tests.support.tokens import acting_token

CVR = "13748136"
HEAD_SECONDS, BODY_SECONDS = 1.5, 2.0  # the service's bounds in this module
ANSWER_WITHIN = 15.0  # liveness bound for a refusal that should come after ~2 s


@pytest.fixture(scope="module")
def service(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`casebook serve` with short head and body deadlines, one company in it."""
    with schema_settings(postgres_url) as settings:
        bounded = settings.model_copy(
            update={"header_timeout_seconds": HEAD_SECONDS, "body_timeout_seconds": BODY_SECONDS}
        )
        logs: Path = tmp_path_factory.mktemp("hostile")
        with running_service(bounded, logs, commands=("serve",)) as running:
            by = running.post(
                "/staff", {"name": "Gry", "municipality": "165", "unit": "job_centre"}
            )["id"]
            running.post(
                "/companies", {"cvr": CVR, "name": "Glans ApS", "municipality": "165", "by": by}
            )
            yield running


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, object]:
        """The problem+json body, checked to be one with this status."""
        assert self.headers.get("content-type") == "application/problem+json", self
        problem: dict[str, object] = json.loads(self.body)
        assert problem["status"] == self.status, problem
        return problem


def _exchange(service: Service, pieces: list[bytes], pause: float = 0.0) -> Answer:
    """Send the pieces (with a pause after each) until the server answers or hangs
    up, then read its answer to the end (`Connection: close`)."""
    address = urlsplit(service.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        answer = b""
        for piece in pieces:
            try:
                sock.sendall(piece)
            except OSError:  # the server refused and closed while we sent
                break
            readable, _, _ = select.select([sock], [], [], pause)
            if readable:
                break
        sock.settimeout(ANSWER_WITHIN)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    assert answer, f"no answer within {ANSWER_WITHIN} s"
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return Answer(int(lines[0].split()[1]), headers, body)


def _request(
    service: Service,
    method: str,
    target: str,
    body: bytes = b"",
    content_type: str | None = "application/json",
    extra: str = "",
) -> bytes:
    """A request's bytes, signed as a team lead, with `Connection: close`."""
    token = acting_token(service.settings, method, target.split("?", maxsplit=1)[0], None)
    head = f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    head += f"Authorization: Bearer {token}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode("latin-1") + body


def _hostile(service: Service) -> dict[str, tuple[list[bytes], int]]:
    """Each hostile request (as the pieces sent) and the status it must get."""
    contacts = f"/companies/{CVR}/contacts"
    form_page = f"/app/companies/{CVR}/log_contact"
    form = "application/x-www-form-urlencoded"
    huge_head = "".join(f"X-Filler-{i}: {'x' * 1000}\r\n" for i in range(20))
    chunked_head = _request(service, "POST", contacts, extra="Transfer-Encoding: chunked\r\n")
    chunked_head = chunked_head.replace(b"Content-Length: 0\r\n", b"")
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
    return {
        "JSON nested 20,000 deep": ([_request(service, "POST", contacts, b"[" * 20_000)], 400),
        "JSON object nested 40 deep": (
            [_request(service, "POST", contacts, b'{"a":' * 40 + b"1" + b"}" * 40)],
            400,
        ),
        "1 MB body declared": (
            [_request(service, "POST", contacts, b"").replace(b"Length: 0", b"Length: 1048576")],
            413,
        ),
        "1 MB body chunked, no length": ([chunked_head] + [chunk] * 64, 413),
        "malformed UTF-8 in a JSON body": (
            [_request(service, "POST", contacts, b'{"summary": "\xff\xfe"}')],
            400,
        ),
        "malformed UTF-8 percent-encoded in the path": (
            [_request(service, "GET", "/companies/%ff%fe", content_type=None)],
            400,
        ),
        "a raw non-ASCII byte in the path": (
            [_request(service, "GET", "/companies/\xff", content_type=None)],
            400,
        ),
        "malformed UTF-8 in the query": (
            [_request(service, "GET", "/companies?q=%ff%fe", content_type=None)],
            400,
        ),
        "JSON sent as text/plain": (
            [_request(service, "POST", contacts, b'{"summary": "x"}', "text/plain")],
            422,
        ),
        "JSON sent as a form": ([_request(service, "POST", contacts, b'{"a": 1}', form)], 422),
        "a form sent as JSON": ([_request(service, "POST", contacts, b"summary=x")], 422),
        "no Content-Type": ([_request(service, "POST", contacts, b"summary=x", None)], 422),
        "a form of 5,000 fields": (
            [_request(service, "POST", form_page, b"&".join([b"f=1"] * 5000), form)],
            400,
        ),
        "a query of 1,000 parameters": (
            [_request(service, "GET", "/companies?" + "&".join(["q=1"] * 1000), content_type=None)],
            400,
        ),
        "a query of 20,000 parameters": (
            [
                _request(
                    service, "GET", "/companies?" + "&".join(["q=1"] * 20_000), content_type=None
                )
            ],
            431,
        ),
        "20 KB of headers": ([_request(service, "GET", "/companies", extra=huge_head)], 431),
        "a garbage request line": ([b"\x00\x01\x02 / HTTP/1.1\r\n\r\n"], 400),
    }


def test_hostile_requests_are_4xx_problems(service: Service) -> None:
    """Every hostile request gets its 4xx as problem+json with a reason, never a 5xx,
    and the service answers normally afterwards."""
    for name, (pieces, status) in _hostile(service).items():
        answer = _exchange(service, pieces)
        assert answer.status == status, (name, answer)
        assert answer.problem()["detail"], name
    assert service.send("GET", "/companies?q=Glans").status_code == 200


def test_a_head_sent_a_line_at_a_time_is_cut_off(service: Service) -> None:
    """Slowloris: a head that never ends (a header line every 0.3 s) is 408 after the
    head deadline, and the connection is closed; so is a connection that sends nothing."""
    start = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    lines = [b"X-Slow: %d\r\n" % i for i in range(100)]  # 30 s of them, if not cut off
    answer = _exchange(service, [start, *lines], pause=0.3)
    assert answer.status == 408
    assert "headers took over" in str(answer.problem()["detail"])
    silent = _exchange(service, [b""], pause=0.0)
    assert silent.status == 408


def test_a_body_sent_a_byte_at_a_time_is_cut_off(service: Service) -> None:
    """A body trickled a byte every 0.3 s is 408 after the body deadline."""
    head = _request(service, "POST", f"/companies/{CVR}/contacts", b"")
    head = head.replace(b"Content-Length: 0", b"Content-Length: 200")
    answer = _exchange(service, [head] + [b" "] * 200, pause=0.3)
    assert answer.status == 408
    assert "did not arrive within" in str(answer.problem()["detail"])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_memory_stays_bounded_under_hostile_requests(service: Service) -> None:
    """Forty connections each sending 2 MB of header lines (held open), and the hostile
    requests ten times over, grow the process's resident memory by less than 40 MB."""
    pid = service.pids["serve"]
    hostile = _hostile(service)
    for pieces, _ in hostile.values():  # warm up: every code path loaded once
        _exchange(service, pieces)
    before = _rss_kb(pid)
    address = urlsplit(service.url)
    held = []
    line = b"X-Filler: " + b"x" * 1000 + b"\r\n"
    for _ in range(40):
        sock = socket.create_connection((address.hostname, address.port), timeout=5)
        held.append(sock)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            for _ in range(2000):
                sock.sendall(line)
        except OSError:
            pass  # refused at the head limit
    during = _rss_kb(pid)
    for sock in held:
        sock.close()
    for _ in range(10):
        for pieces, _ in hostile.values():
            _exchange(service, pieces)
    after = _rss_kb(pid)
    print(f"serve RSS: {before} kB before, {during} kB with 40 x 2 MB heads, {after} kB after")
    assert during - before < 40_000
    assert after - before < 40_000
    assert service.send("GET", "/healthz").status_code == 200
