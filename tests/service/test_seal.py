"""The seal and verify on the in-memory store: hashes as documented, digests agree."""

from __future__ import annotations

import hashlib
import struct
import uuid

from fastapi.testclient import TestClient

from infra.seal import ZERO, event_hash, next_digest
from services.audit.seal import Sealer
from services.audit.verify import stored_pairs, verify
from services.http.container import Services


def test_the_event_hash_is_the_documented_canonical_record() -> None:
    """h = SHA-256(prev ‖ id ‖ version ‖ position ‖ len(topic) ‖ topic ‖ state)."""
    stream = uuid.UUID(int=7)
    expected = hashlib.sha256(
        ZERO + stream.bytes + struct.pack(">qqI", 2, 9, 5) + b"topic" + b"{}"
    ).digest()
    assert event_hash(ZERO, stream, 2, 9, "topic", b"{}") == expected
    assert event_hash(ZERO, str(stream), 2, 9, "topic", b"{}") == expected
    assert event_hash(ZERO, stream.bytes, 2, 9, "topic", b"{}") == expected
    assert next_digest(ZERO, expected) == hashlib.sha256(ZERO + expected).digest()


def test_a_sealed_log_verifies_with_the_sealed_digest(
    client: TestClient, services: Services, registered: str, staff: str
) -> None:
    """Every event is sealed once; verify recomputes the same digest; later events are
    reported as not sealed yet, never as tampering."""
    sealer = Sealer(services.app, services.views)
    position, digest = sealer.seal_all()
    assert position == services.app.last_position() and position >= 2
    report = verify(stored_pairs(services.settings, services.app, services.views))
    assert (report.findings, report.events, report.digest) == ([], position, digest)
    if services.projections is not None:  # no background sealing from here on
        services.projections.stop()
    r = client.post(
        f"/companies/{registered}/contacts",
        json={
            "by": staff,
            "channel": "phone",
            "occurred_at": "2026-06-01T10:00:00+02:00",
            "summary": "call",
            "topics": [],
        },
    )
    assert r.status_code == 201
    later = verify(stored_pairs(services.settings, services.app, services.views))
    assert later.findings == [] and later.unsealed == 1 and later.exit_status == 0
