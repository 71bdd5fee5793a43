"""The threads the synchronous endpoints run on (ADR 61).

Endpoints are plain functions (the event store is synchronous): each request
hands its work to a thread and the event loop awaits the outcome. Under the GIL
only one of the two runs Python at a time, so each bytecode one of them runs
while the other is waiting for it is a hand-over between them; on a virtual
machine whose idle CPUs sleep at once, each hand-over can mean waking a CPU.
Starlette's ``run_in_threadpool`` (anyio's worker threads) goes through a
checkpoint, a cancel scope and a capacity limiter on the loop's side, and its
thread still runs Python after it has woken the loop. On a 2-core virtual
machine that cost a one-user command 0.4-0.7 ms against running it on the loop
itself, and this pool 0.2-0.4 ms (issue 12, ``benchmarks/bench_http.py``).

So the hand-off is kept to what it must be:

- the loop gives the job to the thread that went idle last (its caches are
  the warmest), or starts one, up to :data:`LIMIT` threads; beyond that, jobs
  wait in one queue, which a thread empties before it goes idle;
- a thread that is done lets go of the job and marks itself idle first, and
  wakes the loop as its last act before it waits again;
- a thread idle for :data:`IDLE_S` ends; a forked child starts with none.

As with ``run_in_threadpool``, a thread cannot be stopped: if the awaiting
task is cancelled, the job still runs to its end and its outcome is dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

LIMIT = 40  # threads at most, as anyio's default limiter
IDLE_S = 10.0  # a thread idle this long ends, as anyio's

Job = tuple[contextvars.Context, Callable[..., Any], tuple[Any, ...], "asyncio.Future[Any]", asyncio.AbstractEventLoop]


class EndpointThreads:
    def __init__(self, limit: int = LIMIT, idle_s: float = IDLE_S, name: str = "sema-endpoint") -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.idle_s = idle_s
        self.name = name
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Job]] = []  # each idle thread's own queue, the last to go idle at the end
        self._waiting: deque[Job] = deque()  # jobs beyond the limit
        self._threads = 0
        os.register_at_fork(after_in_child=self._forget_threads)

    def _forget_threads(self) -> None:
        """In a forked child: the threads stayed in the parent."""
        self._lock = threading.Lock()
        self._idle, self._waiting, self._threads = [], deque(), 0

    @property
    def threads(self) -> int:
        """How many threads there are now, busy or idle."""
        return self._threads

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on a thread, in a copy of the caller's context."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._submit((contextvars.copy_context(), function, args, future, loop))
        return await future

    def _submit(self, job: Job) -> None:
        with self._lock:
            if self._idle:
                self._idle.pop().put(job)
                return
            if self._threads >= self.limit:
                self._waiting.append(job)
                return
            self._threads += 1
        try:
            threading.Thread(target=self._work, args=(job,), name=self.name, daemon=True).start()
        except BaseException:
            with self._lock:
                self._threads -= 1
            raise

    def _work(self, job: Job | None) -> None:
        jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        while job is not None:
            context, function, args, future, loop = job
            try:
                result, error = context.run(function, *args), None
            except BaseException as exc:  # noqa: BLE001  (handed to the awaiting task, as run_in_threadpool does)
                result, error = None, exc
            del job, context, function, args
            with self._lock:
                job = self._waiting.popleft() if self._waiting else None
                if job is None:
                    self._idle.append(jobs)
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)  # the last act before waiting
            except RuntimeError:
                pass  # the loop is closed: nobody awaits this outcome any more
            del future, loop, result, error
            if job is None:
                job = self._next(jobs)

    def _next(self, jobs: queue.SimpleQueue[Job]) -> Job | None:
        """An idle thread's next job, or ``None`` when it has been idle too long."""
        try:
            return jobs.get(timeout=self.idle_s)
        except queue.Empty:
            with self._lock:
                if jobs in self._idle:
                    self._idle.remove(jobs)
                    self._threads -= 1
                    return None
            return jobs.get()  # given a job just as it timed out: it is on its way


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    elif isinstance(error, StopIteration):  # a future cannot hold one
        future.set_exception(RuntimeError(f"the endpoint raised StopIteration: {error}"))
    else:
        future.set_exception(error)


ENDPOINT_THREADS = EndpointThreads()


async def run_in_thread(function: Callable[..., T], *args: Any) -> T:
    """Runs a synchronous function on the process's endpoint threads."""
    return await ENDPOINT_THREADS.run(function, *args)
