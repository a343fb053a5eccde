"""What a request may not be, checked before any route reads it: a URL that is not
UTF-8 once percent-decoded, more query parameters than any route takes (400), and a
body too large, too slow or, as JSON, nested deeper than any schema goes."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

MAX_QUERY_PARAMETERS = 100  # the timeline's filters are the most a route takes: ~10
MAX_JSON_DEPTH = 32  # the deepest request schema (a contract's rules) is 4 levels
MAX_POSITION = 2**63 - 1  # a log position, cursor or offset: SQL's bigint holds no more

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_JSON_TYPE = re.compile(r"^\s*application/([\w.+-]+\+)?json\s*(;|$)", re.IGNORECASE)


def url_refusal(raw_path: bytes, query: bytes) -> str | None:
    """Why the URL is refused, if it is."""
    if not _utf8(raw_path) or not _utf8(query.replace(b"+", b" ")):
        return "the URL is not UTF-8 once percent-decoded"
    if query.count(b"&") >= MAX_QUERY_PARAMETERS:
        return f"the query string has more than {MAX_QUERY_PARAMETERS} parameters"
    return None


def _utf8(raw: bytes) -> bool:
    if raw.isascii() and b"%" not in raw:
        return True
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _utf8_text(chunks: list[bytes]) -> bool:
    text = b"".join(chunks)
    if text.isascii():
        return True
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parsed_as_json(content_type: bytes | None) -> bool:
    """Whether a body of this Content-Type is read as JSON (FastAPI reads a body
    without one as JSON too)."""
    return content_type is None or bool(_JSON_TYPE.match(content_type.decode("latin-1")))


def too_deep(chunks: list[bytes], limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text in these chunks nests arrays and objects deeper than
    `limit` (brackets in strings do not count). Cheap unless it has that many."""
    if sum(c.count(b"[") + c.count(b"{") for c in chunks) <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", b"".join(chunks))):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


class LimitedBody:
    """A request's `receive` that refuses a body too large (413), too slow to arrive
    (408: all of it within the deadline, so a trickle cannot hold a worker) or, when
    it is read as JSON, nested too deep (400). Raised inside FastAPI's body reading,
    which passes HTTP errors on as they are."""

    def __init__(self, receive: Receive, *, max_bytes: int, seconds: float, as_json: bool) -> None:
        self._receive = receive
        self._max_bytes = max_bytes
        self._seconds = seconds
        self._deadline = asyncio.get_running_loop().time() + seconds
        self._chunks: list[bytes] | None = [] if as_json else None
        self._seen = 0
        self._done = False

    async def __call__(self) -> Message:
        if self._done:  # after the body: waiting for a disconnect has no deadline
            return await self._receive()
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            raise HTTPException(
                408, f"the request body did not arrive within {self._seconds:g} s"
            ) from None
        if message["type"] != "http.request":
            self._done = True
            return message
        body = message.get("body", b"")
        self._seen += len(body)
        if self._seen > self._max_bytes:
            raise HTTPException(413, f"the request body exceeds {self._max_bytes} bytes")
        if self._chunks is not None and body:
            self._chunks.append(body)
        if not message.get("more_body", False):
            self._done = True
            chunks, self._chunks = self._chunks, None
            if chunks and not _utf8_text(chunks):
                raise HTTPException(400, "the JSON body is not UTF-8 text")
            if chunks and too_deep(chunks):
                raise HTTPException(
                    400, f"the JSON body nests arrays or objects deeper than {MAX_JSON_DEPTH}"
                )
        return message
