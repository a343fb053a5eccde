"""`casebook verify`: recompute the chains and the digest from the stored events and
compare them with the seal, event by event.

One pass in position order over the log and the seal side by side; only the
events that do not match their seal row are kept, and are then told apart:
an event whose sealed identity sits at another position with an intact hash
was moved (reordered), one whose hash differs was changed, one the seal never
saw inside the sealed range was inserted, a sealed one that is gone was removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification

from infra.seal import ZERO, event_hash, next_digest
from services.application import CasebookApplication
from services.seal import sealed_rows
from services.views import ViewDb

KINDS = ("changed", "removed", "reordered", "inserted", "seal_broken", "digest_mismatch")
EXIT_BITS = {kind: 1 << i for i, kind in enumerate(KINDS)}
TAMPERED_BASE = 64  # exit status: 64 + one bit per kind found


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


def events_in_order(app: CasebookApplication, page: int = 10_000) -> Iterator[Notification]:
    """Every stored event in position order, a page per read (never the whole log)."""
    start: int | None = None
    while True:
        notes = app.recorder.select_notifications(start=start, limit=page,
                                                  inclusive_of_start=start is None)
        yield from notes
        if len(notes) < page:
            return
        start = notes[-1].id


def _merged(events: Iterator[Notification], seal: Iterator[tuple[Any, ...]]
            ) -> Iterator[tuple[Notification | None, tuple[Any, ...] | None]]:
    e, s = next(events, None), next(seal, None)
    while e is not None or s is not None:
        if s is None or (e is not None and e.id < int(s[0])):
            yield e, None
            e = next(events, None)
        elif e is None or int(s[0]) < e.id:
            yield None, s
            s = next(seal, None)
        else:
            yield e, s
            e, s = next(events, None), next(seal, None)


def verify(app: CasebookApplication, views: ViewDb, *, pins: Sequence[int] = (),
           progress: Callable[[int], None] | None = None) -> Report:
    """Compare the log with its seal; recompute the digest (also at each pinned position)."""
    report = Report()
    chain: dict[str, bytes] = {}  # stream -> recomputed h of its newest event
    seal_chain: dict[str, tuple[int, str]] = {}  # stream -> newest sealed (version, h)
    odd_events: dict[tuple[str, int], Notification] = {}
    odd_seal: dict[tuple[str, int], tuple[Any, ...]] = {}
    digest = ZERO
    waiting = sorted(pins)
    for e, s in _merged(events_in_order(app), sealed_rows(views)):
        if s is not None:
            report.sealed_position = int(s[0])
            _check_seal_chain(s, seal_chain, report)
        if e is None:
            assert s is not None
            odd_seal[(str(s[1]), int(s[2]))] = s
            continue
        while waiting and waiting[0] < e.id:
            report.pins[waiting.pop(0)] = digest.hex()
        stream = str(e.originator_id)
        h = event_hash(chain.get(stream, ZERO) if e.originator_version > 1 else ZERO,
                       e.originator_id, e.originator_version, e.id, e.topic, e.state)
        chain[stream] = h
        digest = next_digest(digest, h)
        report.events += 1
        report.position = e.id
        if progress is not None and report.events % 10_000 == 0:
            progress(e.id)
        if s is not None and str(s[1]) == stream and int(s[2]) == e.originator_version and \
                _intact(e, s, h):
            continue
        odd_events[(stream, e.originator_version)] = e
        if s is not None:
            odd_seal[(str(s[1]), int(s[2]))] = s
    for position in waiting:
        report.pins[position] = digest.hex()
    report.digest = digest.hex()
    _classify(odd_events, odd_seal, report)
    report.findings.sort(key=lambda f: (f.position, f.kind))
    return report


def _intact(e: Notification, s: tuple[Any, ...], h: bytes) -> bool:
    if h.hex() == s[4]:
        return True
    # The recomputed chain differs when an earlier event of the stream was changed;
    # this event is intact if it hashes to its seal on the sealed predecessor.
    return event_hash(bytes.fromhex(s[3]), e.originator_id, e.originator_version, e.id,
                      e.topic, e.state).hex() == str(s[4])


def _check_seal_chain(s: tuple[Any, ...], seal_chain: dict[str, tuple[int, str]],
                      report: Report) -> None:
    stream, version = str(s[1]), int(s[2])
    last = seal_chain.get(stream)
    expected = last[1] if last is not None and last[0] == version - 1 else ZERO.hex()
    if last is not None and s[3] != expected:
        report.findings.append(Finding("seal_broken", int(s[0]), (
            f"the seal of {stream} v{version} does not link to its predecessor")))
    seal_chain[stream] = (version, str(s[4]))


def _classify(odd_events: dict[tuple[str, int], Notification],
              odd_seal: dict[tuple[str, int], tuple[Any, ...]], report: Report) -> None:
    add = report.findings.append
    for key, e in odd_events.items():
        name = f"{key[0]} v{key[1]} ({e.topic.removeprefix('casebook:')})"
        s = odd_seal.pop(key, None)
        if s is None:
            if e.id <= report.sealed_position:
                add(Finding("inserted", e.id, f"{name} at {e.id} was never sealed"))
            else:
                report.unsealed += 1
            continue
        same = event_hash(bytes.fromhex(s[3]), e.originator_id, e.originator_version,
                          int(s[0]), e.topic, e.state).hex() == s[4]
        if same:
            add(Finding("reordered", e.id, f"{name} was sealed at {s[0]}, is now at {e.id}"))
        elif int(s[0]) == e.id:
            add(Finding("changed", e.id, f"{name} at {e.id} differs from what was sealed"))
        else:
            add(Finding("changed", e.id, f"{name} sealed at {s[0]} is now at {e.id}, changed"))
    for key, s in odd_seal.items():
        add(Finding("removed", int(s[0]), f"{key[0]} v{key[1]} sealed at {s[0]} is gone"))
