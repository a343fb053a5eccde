"""A small file system of a test's own (a tmpfs, mounted by root) to fill up or make
read-only under a running service, as a full or failing disk would."""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], check=False, capture_output=True, text=True)
    if done.returncode != 0:  # an error, never a skip: these tests run as root in CI too
        pytest.fail(f"mount {' '.join(args)} failed (the disk tests need root): {done.stderr}")


@contextmanager
def small_disk(where: Path, size: str = "16m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` for the block."""
    where.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", str(where)], check=False)  # never leave it


def remount(where: Path, mode: str) -> None:
    """Make the file system at `where` read-only (`ro`) or writable again (`rw`)."""
    _mount("-o", f"remount,{mode}", str(where))


@contextmanager
def filled(where: Path) -> Iterator[None]:
    """The file system at `where` full (a file written until ENOSPC) for the block;
    the space is back when it ends."""
    filler = where / "filler"
    try:
        with filler.open("wb", buffering=0) as f:
            for size in (1 << 16, 1 << 12, 1 << 9):  # down to what a tmpfs page leaves
                try:
                    while f.write(bytes(size)):
                        pass
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
        yield
    finally:
        filler.unlink(missing_ok=True)
