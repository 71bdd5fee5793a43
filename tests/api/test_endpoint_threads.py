"""The endpoint threads (``api.threads``, ADR 61): outcomes, context, the limit,
idle threads ending, and cancellation."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time

import pytest

from api.threads import EndpointThreads

REQUEST = contextvars.ContextVar("request", default="none")


def test_a_result_or_an_error_comes_back_to_the_awaiting_task() -> None:
    pool = EndpointThreads(limit=2)

    async def main() -> None:
        assert await pool.run(lambda a, b: a + b, 2, 3) == 5
        with pytest.raises(KeyError, match="missing"):
            await pool.run({}.__getitem__, "missing")
        with pytest.raises(RuntimeError, match="StopIteration"):
            await pool.run(next, iter(()))

    asyncio.run(main())


def test_the_job_runs_in_a_copy_of_the_callers_context() -> None:
    pool = EndpointThreads(limit=2)

    def read_and_change() -> str:
        seen = REQUEST.get()
        REQUEST.set("changed in the thread")
        return seen

    async def main() -> None:
        REQUEST.set("request 1")
        assert await pool.run(read_and_change) == "request 1"
        assert REQUEST.get() == "request 1"

    asyncio.run(main())


def test_the_thread_that_went_idle_last_takes_the_next_job() -> None:
    pool = EndpointThreads(limit=4)

    async def main() -> list[int]:
        return [await pool.run(threading.get_ident) for _ in range(20)]

    assert len(set(asyncio.run(main()))) == 1
    assert pool.threads == 1


def test_the_loop_runs_on_while_a_job_runs() -> None:
    pool = EndpointThreads(limit=1)
    release = threading.Event()

    async def main() -> None:
        job = asyncio.ensure_future(pool.run(release.wait, 10))
        ticks = 0
        while not job.done() and ticks < 5:
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 5 and not job.done()
        release.set()
        assert await job is True

    asyncio.run(main())


def test_jobs_beyond_the_limit_wait_and_all_finish() -> None:
    pool = EndpointThreads(limit=3)
    lock = threading.Lock()
    running, most = 0, 0

    def job(i: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return i

    async def main() -> list[int]:
        return await asyncio.gather(*(pool.run(job, i) for i in range(30)))

    assert asyncio.run(main()) == list(range(30))
    assert most == 3
    assert pool.threads == 3


def test_threads_idle_too_long_end_and_new_ones_start_when_needed() -> None:
    pool = EndpointThreads(limit=4, idle_s=0.05)
    barrier = threading.Barrier(4)

    async def main() -> None:
        await asyncio.gather(*(pool.run(barrier.wait, 5) for _ in range(4)))
        assert pool.threads == 4
        deadline = time.monotonic() + 5
        while pool.threads and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert pool.threads == 0
        assert await pool.run(lambda: "again") == "again"

    asyncio.run(main())
    assert pool.threads == 1


def test_a_cancelled_wait_leaves_the_job_to_finish_and_the_thread_free() -> None:
    pool = EndpointThreads(limit=1)
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        finished.set()
        return "dropped"

    async def main() -> None:
        waiting = asyncio.ensure_future(pool.run(slow))
        await asyncio.to_thread(started.wait, 10)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        queued = asyncio.ensure_future(pool.run(lambda: "next"))  # waits for the one thread
        release.set()
        assert await queued == "next"
        assert finished.is_set()

    asyncio.run(main())
    assert pool.threads == 1


def test_jobs_from_two_event_loops_each_come_back_to_their_own() -> None:
    pool = EndpointThreads(limit=2)
    results: dict[str, object] = {}

    def loop_in_thread(name: str) -> None:
        async def main() -> None:
            results[name] = [await pool.run(lambda i=i: (name, i)) for i in range(50)]

        asyncio.run(main())

    threads = [threading.Thread(target=loop_in_thread, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {n: [(n, i) for i in range(50)] for n in ("a", "b")}


def test_a_forked_child_starts_its_own_threads() -> None:
    pool = EndpointThreads(limit=2)
    asyncio.run(pool.run(int))  # an idle thread in this process
    assert pool.threads == 1
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover  (the child reports through the pipe)
        try:
            answer = asyncio.run(asyncio.wait_for(pool.run(lambda: "child"), 5))
        except BaseException as error:  # noqa: BLE001
            answer = f"failed: {error!r}"
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert os.read(read, 100).decode() == "child"
    os.close(read)
