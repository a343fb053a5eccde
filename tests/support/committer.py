"""Deciding a batch of commands on the group committer directly."""

from __future__ import annotations

from typing import Any

from services.write.batches import Pending
from services.write.command import Command
from services.write.committer import GroupCommitter


def run_batch(committer: GroupCommitter, built: list[Command]) -> list[Any]:
    """Process these commands as one batch; return each result or error."""
    pending = [Pending(c) for c in built]
    for p in pending:
        assert p.future.set_running_or_notify_cancel()
    committer._process(pending)
    return [p.future.exception() or p.future.result() for p in pending]
