"""Reading the log's next batch ahead, in a thread of its own, while the relay sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from infra.recorder import LogRow


class ReadAhead:
    """Reads the log's next batch in a thread of its own while the loop maps and sends
    the batch before it, so the database's time per batch overlaps the relay's work."""

    def __init__(self, select: Callable[[int], Sequence[LogRow]], limit: int) -> None:
        self._select, self._limit = select, limit
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="relay-read")
        self._ahead: tuple[int, asyncio.Future[Sequence[LogRow]]] | None = None

    async def after(self, position: int) -> Sequence[LogRow]:
        """The batch after log position `position`; a full one starts reading the next."""
        loop = asyncio.get_running_loop()
        ahead, self._ahead = self._ahead, None
        batch: Sequence[LogRow] = []
        if ahead is not None and ahead[0] == position:
            batch = await ahead[1]
        elif ahead is not None:  # the batch before it stopped short (an unmapped event)
            _drop(ahead[1])
        if not batch:  # nothing was read ahead, or it was read before the newest commits
            batch = await loop.run_in_executor(self._executor, self._select, position)
        if len(batch) >= self._limit:  # not at the head yet: read on meanwhile
            last = batch[-1][0]
            self._ahead = (last, loop.run_in_executor(self._executor, self._select, last))
        return batch

    def close(self) -> None:
        """Forget what was read ahead; the thread ends after its current read."""
        if self._ahead is not None:
            _drop(self._ahead[1])
        self._executor.shutdown(wait=False, cancel_futures=True)


def _drop(future: asyncio.Future[Sequence[LogRow]]) -> None:
    if future.done() and not future.cancelled():
        future.exception()  # retrieved: no "never retrieved" warning
    future.cancel()
