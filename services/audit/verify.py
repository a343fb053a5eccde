"""`casebook verify`: recompute the chains and the digest from the stored events and
compare them with the seal, event by event.

One pass in position order over the log and the seal side by side; only the
events that do not match their seal row are kept, and are then told apart:
an event whose sealed identity sits at another position with an intact hash
was moved (reordered), one whose hash differs was changed, one the seal never
saw inside the sealed range was inserted, a sealed one that is gone was removed.

On PostgreSQL `verify_stored` first makes a fast pass (`fast_pass`) that holds
each event to its own seal row: same stream and version, seal.prev is the hash
of the stream's previous sealed version (zeros for version 1, which must come
first), the event hashes on it to seal.hash, and SHA-256(previous row's digest
‖ hash) is seal.digest; every sealed position has its event and vice versa.
When all of that holds, the chains and the digest the walk below would recompute
from the events alone are the seal's, row by row (induction over positions), so
it finds nothing; at the first row where anything fails, the pass stops and the
walk runs instead, so every finding comes from the walk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from infra.rawlog import EventRow, JoinedRow, Pair, SealRow, joined_log, log_and_seal
from infra.seal import ZERO, event_hash, next_digest, stream_event_hash
from infra.settings import Settings
from services.audit.seal import sealed_rows
from services.eventstore import CasebookApplication
from services.read.db import ProjectionDb

KINDS = ("changed", "removed", "reordered", "inserted", "seal_broken", "digest_mismatch")
EXIT_BITS = {kind: 1 << i for i, kind in enumerate(KINDS)}
TAMPERED_BASE = 64  # exit status: 64 + one bit per kind found
ZERO_HEX = ZERO.hex()
PROGRESS_EVERY = 10_000


@dataclass(frozen=True)
class Finding:
    """One difference between the log and its seal."""

    kind: str
    position: int
    detail: str


@dataclass
class Report:
    """What verify found: counts, the recomputed digest, and every difference."""

    events: int = 0
    position: int = 0
    digest: str = ZERO.hex()
    sealed_position: int = 0
    unsealed: int = 0
    findings: list[Finding] = field(default_factory=list)
    pins: dict[int, str] = field(default_factory=dict)  # position -> recomputed digest

    @property
    def exit_status(self) -> int:
        """0 when everything verified, else 64 plus a bit per kind of finding."""
        bits = 0
        for f in self.findings:
            bits |= EXIT_BITS[f.kind]
        return TAMPERED_BASE + bits if bits else 0


def stored_pairs(
    settings: Settings, app: CasebookApplication, views: ProjectionDb
) -> Iterable[Pair]:
    """The log and its seal side by side: straight from SQLite or PostgreSQL in one
    snapshot, or through the library (the in-memory store of the unit tests)."""
    if settings.backend != "memory":
        return log_and_seal(settings)
    events = (
        (
            n.id,
            str(n.originator_id),
            UUID(str(n.originator_id)).bytes,
            n.originator_version,
            n.topic,
            n.state,
        )
        for n in app.log_after(0)
    )
    seal = (
        (int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5]))
        for r in sealed_rows(views)
    )
    merged: dict[int, tuple[EventRow | None, SealRow | None]] = {}
    for e in events:
        merged[e[0]] = (e, None)
    for s in seal:
        merged[s[0]] = (merged.get(s[0], (None, None))[0], s)
    return [merged[k] for k in sorted(merged)]


def verify_stored(
    settings: Settings,
    app: CasebookApplication,
    views: ProjectionDb,
    *,
    pins: Sequence[int] = (),
    progress: Callable[[int], None] | None = None,
) -> Report:
    """`verify` of the stored log: on PostgreSQL a fast pass when every event matches
    its seal row, else (and on the other stores) the walk that tells differences apart."""
    if settings.backend == "postgres":
        report = fast_pass(settings, pins, progress)
        if report is not None:
            return report
    return verify(stored_pairs(settings, app, views), pins=pins, progress=progress)


def fast_pass(
    settings: Settings, pins: Sequence[int], progress: Callable[[int], None] | None
) -> Report | None:
    """The report of an intact log from one streamed pass, or None at the first doubt."""
    report = Report()
    waiting = sorted(pins)
    with joined_log(settings) as (sealed_rows_, sealed_position, rows):
        matched = _check_joined(rows, sealed_position, report, waiting, progress)
    if matched is None or matched != sealed_rows_:
        return None  # a mismatch, or seal rows whose event is gone
    report.sealed_position = sealed_position
    for position in waiting:
        report.pins[position] = report.digest
    return report


def _check_joined(
    rows: Iterator[JoinedRow],
    sealed_position: int,
    report: Report,
    waiting: list[int],
    progress: Callable[[int], None] | None,
) -> int | None:
    """Hold each event to its seal row; the number of seal rows matched, or None."""
    last: dict[bytes, tuple[int, bytes, str]] = {}  # stream -> its newest (version, h, hex)
    digest, matched, sha256 = ZERO, 0, hashlib.sha256
    for position, stream, version, topic, state, same, s_version, prev, s_hash, s_digest in rows:
        while waiting and waiting[0] < position:
            report.pins[waiting.pop(0)] = digest.hex()
        before = last.get(stream)
        if same is None and position > sealed_position:  # not sealed yet: chain on
            h = stream_event_hash(
                before[1] if before and version > 1 else ZERO,
                stream,
                version,
                position,
                topic,
                state,
            )
            last[stream] = (version, h, h.hex())
            digest = sha256(digest + h).digest()
            report.unsealed += 1
        elif (
            not same
            or s_version != version
            or (
                prev != ZERO_HEX or version != 1
                if before is None
                else prev != before[2] or version != before[0] + 1
            )
        ):
            return None
        else:
            h = stream_event_hash(
                ZERO if before is None else before[1], stream, version, position, topic, state
            )
            h_hex, digest = h.hex(), sha256(digest + h).digest()
            if h_hex != s_hash or digest.hex() != s_digest:
                return None
            last[stream] = (version, h, h_hex)
            matched += 1
        report.events += 1
        report.position = position
        if progress is not None and report.events % PROGRESS_EVERY == 0:
            progress(position)
    report.digest = digest.hex()
    return matched


class _Walk:
    """The state of one pass."""

    def __init__(self, pins: Sequence[int]) -> None:
        self.report = Report()
        self.chain: dict[str, bytes] = {}  # stream -> recomputed h of its newest event
        self.seal_chain: dict[str, tuple[int, str]] = {}  # stream -> newest sealed (v, h)
        self.odd_events: dict[tuple[str, int], EventRow] = {}
        self.odd_seal: dict[tuple[str, int], SealRow] = {}
        self.digest = ZERO
        self.digest_broken = False
        self.waiting = sorted(pins)


def verify(
    pairs: Iterable[Pair],
    *,
    pins: Sequence[int] = (),
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Compare the log with its seal; recompute the digest (also at each pinned position)."""
    w = _Walk(pins)
    report = w.report
    for e, s in pairs:
        if s is not None:
            report.sealed_position = s[0]
            _check_seal_chain(s, w.seal_chain, report)
        if e is None:
            assert s is not None
            w.odd_seal[(s[1], s[2])] = s
            continue
        position, stream, raw_id, version, topic, state = e
        while w.waiting and w.waiting[0] < position:
            report.pins[w.waiting.pop(0)] = w.digest.hex()
        h = event_hash(
            w.chain.get(stream, ZERO) if version > 1 else ZERO,
            raw_id,
            version,
            position,
            topic,
            state,
        )
        w.chain[stream] = h
        w.digest = next_digest(w.digest, h)
        report.events += 1
        report.position = position
        if progress is not None and report.events % PROGRESS_EVERY == 0:
            progress(position)
        if s is not None and s[1] == stream and s[2] == version and _intact(e, s, h):
            if not (w.odd_events or w.odd_seal or w.digest_broken) and s[5] != w.digest.hex():
                w.digest_broken = True  # reported once: every later digest differs too
                report.findings.append(
                    Finding(
                        "seal_broken",
                        position,
                        ("the sealed running digest differs from the one recomputed here"),
                    )
                )
            continue
        w.odd_events[(stream, version)] = e
        if s is not None:
            w.odd_seal[(s[1], s[2])] = s
    for position in w.waiting:
        report.pins[position] = w.digest.hex()
    report.digest = w.digest.hex()
    _classify(w.odd_events, w.odd_seal, report)
    report.findings.sort(key=lambda f: (f.position, f.kind))
    return report


def _intact(e: EventRow, s: SealRow, h: bytes) -> bool:
    if h.hex() == s[4]:
        return True
    # The recomputed chain differs when an earlier event of the stream was changed;
    # this event is intact if it hashes to its seal on the sealed predecessor.
    return event_hash(bytes.fromhex(s[3]), e[2], e[3], e[0], e[4], e[5]).hex() == s[4]


def _check_seal_chain(s: SealRow, seal_chain: dict[str, tuple[int, str]], report: Report) -> None:
    stream, version = s[1], s[2]
    last = seal_chain.get(stream)
    if last is not None:
        expected = last[1] if last[0] == version - 1 else ZERO.hex()
        if s[3] != expected:
            report.findings.append(
                Finding(
                    "seal_broken",
                    s[0],
                    (f"the seal of {stream} v{version} does not link to its predecessor"),
                )
            )
    seal_chain[stream] = (version, s[4])


def _classify(
    odd_events: dict[tuple[str, int], EventRow],
    odd_seal: dict[tuple[str, int], SealRow],
    report: Report,
) -> None:
    add = report.findings.append
    for key, e in odd_events.items():
        name = f"{key[0]} v{key[1]} ({e[4].removeprefix('casebook:')})"
        s = odd_seal.pop(key, None)
        if s is None:
            if e[0] <= report.sealed_position:
                add(Finding("inserted", e[0], f"{name} at {e[0]} was never sealed"))
            else:
                report.unsealed += 1
            continue
        same = event_hash(bytes.fromhex(s[3]), e[2], e[3], s[0], e[4], e[5]).hex() == s[4]
        if same:
            add(Finding("reordered", e[0], f"{name} was sealed at {s[0]}, is now at {e[0]}"))
        elif s[0] == e[0]:
            add(Finding("changed", e[0], f"{name} at {e[0]} differs from what was sealed"))
        else:
            add(Finding("changed", e[0], f"{name} sealed at {s[0]} is now at {e[0]}, changed"))
    for key, s in odd_seal.items():
        add(Finding("removed", s[0], f"{key[0]} v{key[1]} sealed at {s[0]} is gone"))
