"""The candidate vault: data keys apart from the event log, and the access log.

Each candidate's personal data is sealed (AES-GCM, 256-bit) under a data key of its
own. The data keys are stored wrapped (AES-GCM again) under the key-encryption key
from settings, in a table apart from the event log. Erasure deletes the wrapped key
(and asks the database to overwrite or vacuum the freed space), after which the
sealed data in the log cannot be opened by anyone. Every read of personal data is
written to the access log: who, when, which candidate, why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from infra.cpr_index import CprIndex, Entry, blind
from infra.settings import Settings

KEYS_TABLE = "casebook_candidate_keys"
ACCESS_TABLE = "casebook_access_log"
DEVELOPMENT_KEK = hashlib.sha256(b"casebook-development-kek-never-use-in-production").digest()
"""The embedded mode's key-encryption key when none is set: public, for trying only."""


class SealError(Exception):
    """Sealed data could not be opened: its key is gone, or it was altered."""


def key_encryption_key(settings: Settings) -> bytes:
    """The KEK from settings (base64 of 32 bytes), or the development one (embedded)."""
    if settings.candidate_kek is None:
        if not settings.embedded:
            raise RuntimeError(
                "production mode needs CASEBOOK_CANDIDATE_KEK: base64 of 32 "
                "random bytes, e.g. `openssl rand -base64 32`"
            )
        return DEVELOPMENT_KEK
    try:
        kek = base64.b64decode(settings.candidate_kek.get_secret_value(), validate=True)
    except ValueError as error:
        raise RuntimeError("CASEBOOK_CANDIDATE_KEK must be base64") from error
    if len(kek) != 32:
        raise RuntimeError("CASEBOOK_CANDIDATE_KEK must decode to exactly 32 bytes")
    if kek == DEVELOPMENT_KEK and not settings.embedded:
        raise RuntimeError("production mode refuses the development CASEBOOK_CANDIDATE_KEK")
    return kek


def derived_index_key(kek: bytes) -> bytes:
    """The blind index's key when none is set: derived from the KEK, never the KEK."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"casebook cpr blind index"
    ).derive(kek)


def seal(key: bytes, candidate_id: UUID, data: dict[str, Any]) -> str:
    """Personal data encrypted under the candidate's key, bound to the candidate's id."""
    nonce = os.urandom(12)
    body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, body, candidate_id.bytes)
    return base64.b64encode(sealed).decode()


def unseal(key: bytes, candidate_id: UUID, sealed: str) -> dict[str, Any]:
    """The personal data; SealError if the key is wrong or the data was altered."""
    raw = base64.b64decode(sealed)
    try:
        body = AESGCM(key).decrypt(raw[:12], raw[12:], candidate_id.bytes)
    except InvalidTag as error:
        raise SealError(f"sealed data of candidate {candidate_id} cannot be opened") from error
    data: dict[str, Any] = json.loads(body)
    return data


@dataclass(frozen=True)
class Access:
    """One read of a candidate's personal data."""

    at: datetime
    subject: str
    role: str
    candidate_id: UUID
    purpose: str


class Vault(ABC):
    """Data keys (wrapped under the KEK), the CPR blind index and the access log."""

    index: CprIndex

    def __init__(self, kek: bytes, index_key: bytes | None = None) -> None:
        self._kek = AESGCM(kek)
        # Without a key of its own (tests, migrate), one derived from the KEK.
        self._index_key = index_key if index_key is not None else derived_index_key(kek)

    def index_cpr(self, candidate_id: UUID, municipality: str, cpr: str) -> None:
        """Enter the candidate in the blind index under their normalised CPR number."""
        self.index.put(candidate_id, municipality, blind(self._index_key, cpr))

    def find_cpr(self, cpr: str) -> list[Entry]:
        """The candidates (id, municipality) indexed under this normalised CPR number."""
        return self.index.find(blind(self._index_key, cpr))

    def new_key(self, candidate_id: UUID) -> bytes:
        """A fresh data key for the candidate, stored wrapped."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        self._insert(candidate_id, nonce + self._kek.encrypt(nonce, key, candidate_id.bytes))
        return key

    def key(self, candidate_id: UUID) -> bytes | None:
        """The candidate's data key, None once destroyed (or never made)."""
        return self.keys([candidate_id]).get(candidate_id)

    def keys(self, candidate_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """The data keys of those of these candidates that still have one (one query)."""
        ids = list(dict.fromkeys(candidate_ids))
        if not ids:
            return {}
        found = {}
        for candidate_id, wrapped in self._select(ids).items():
            try:
                found[candidate_id] = self._kek.decrypt(
                    wrapped[:12], wrapped[12:], candidate_id.bytes
                )
            except InvalidTag as error:
                raise SealError(
                    "a data key does not open with this CASEBOOK_CANDIDATE_KEK"
                ) from error
        return found

    def log_access(self, access: Access) -> None:
        """Record a read of personal data."""
        self.log_accesses([access])

    @abstractmethod
    def create_tables(self) -> None:
        """Create the key table and the access log (idempotent)."""

    @abstractmethod
    def destroy(self, candidate_id: UUID) -> bool:
        """Delete the candidate's data key for good; whether there was one."""

    @abstractmethod
    def log_accesses(self, accesses: Sequence[Access]) -> None:
        """Record reads of personal data, in one transaction."""

    @abstractmethod
    def accesses(self, candidate_id: UUID) -> list[Access]:
        """The reads of this candidate's personal data, oldest first."""

    @abstractmethod
    def _insert(self, candidate_id: UUID, wrapped: bytes) -> None: ...

    @abstractmethod
    def _select(self, candidate_ids: list[UUID]) -> dict[UUID, bytes]: ...


def utc_now() -> datetime:
    """Now, in UTC, for the access log."""
    return datetime.now(UTC)
