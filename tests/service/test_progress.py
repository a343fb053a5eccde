"""Waiting for read models: woken by progress, holding no thread while waiting."""

from __future__ import annotations

import asyncio
import threading

from services.read.progress import Progress


def test_a_waiting_task_wakes_when_another_thread_bumps() -> None:
    """The condition is checked again on bump, from whatever thread bumps."""
    progress = Progress()
    state = {"position": 0}

    async def scenario() -> bool:
        waiting = asyncio.create_task(
            progress.wait_async(lambda: state["position"] >= 5, timeout=30)
        )
        await asyncio.sleep(0)

        def advance() -> None:
            state["position"] = 5
            progress.bump()

        bumper = threading.Thread(target=advance)
        bumper.start()
        woken = await waiting
        bumper.join()  # gone before the next test counts threads
        return woken

    assert asyncio.run(scenario()) is True


def test_many_waiting_tasks_need_no_threads_of_their_own() -> None:
    """A thousand concurrent waiters run on the event loop's one thread."""
    progress = Progress()
    state = {"position": 0}
    threads_before = threading.active_count()

    async def scenario() -> list[bool]:
        waiters = [
            asyncio.create_task(progress.wait_async(lambda: state["position"] >= 1, timeout=30))
            for _ in range(1000)
        ]
        await asyncio.sleep(0)
        assert threading.active_count() == threads_before
        state["position"] = 1
        progress.bump()
        return await asyncio.gather(*waiters)

    assert asyncio.run(scenario()) == [True] * 1000


def test_without_progress_the_wait_ends_at_its_deadline() -> None:
    """Nothing bumps and the condition stays false: the answer is False, not a hang."""
    assert asyncio.run(Progress().wait_async(lambda: False, timeout=0.05)) is False
