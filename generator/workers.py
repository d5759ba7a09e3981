"""Where a build's jobs run: worker processes, or for a handful, a thread of this process.

Jobs may need others first (a guide's PDF needs its images; the handout, the guides'
PDFs): `after` starts a job as soon as the jobs it needs are done, so the cores never wait
for a whole phase to finish. It hands them to the pool a few at a time, so that a job the
end of the build waits for (`first`) goes before those ready earlier that can wait. The
workers are forked from a forkserver that has imported the renderers once (`warm_up`), at
the start of the command, while this process reads the project: a rebuild that lays out
one PDF does not wait half a second for WeasyPrint.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import queue
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import forkserver, get_context
from multiprocessing.connection import Connection
from typing import Any

# Up to this many jobs run in a thread of the build process instead of worker processes:
# starting a worker costs more than one or two images or pages.
IN_PROCESS_JOBS = 2
POOL_BROKEN = (
    "a worker process stopped abruptly (killed, or out of memory?); nothing was published, "
    "run the build again"
)
# What the workers need, imported once in the forkserver rather than in every worker. With
# PDFs, only what pages and PDFs need: an edit's PDF job waits for the server to be ready,
# while an image job can import the image pipeline itself (the first in each worker).
RENDERERS = ("generator.imagejobs",)
PDF_RENDERERS = ("generator.render.jobs", "generator.render.handout", "generator.render.html")

# How many of `after`'s jobs are in the pool (running or queued) beyond one a worker: one
# each keeps every worker busy as jobs end; more would only let jobs that can wait go first.
QUEUED_AHEAD = 1
# Put on the starter's queue when one of `after`'s jobs is done: a place in the pool is free.
_DONE = object()

_warm = False


class DependencyFailed(Exception):
    """A job that was not run because a job it needed failed (that one is reported)."""


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def warm_up(*, pdf: bool = True) -> None:
    """Start the forkserver now, importing the renderers while the caller goes on.

    Its standard output and error are /dev/null: a build's output is its own, and a caller
    reading it to the end (a pipe, a CI log) must not wait for a server still importing.
    Once per process; later calls do nothing.
    """
    global _warm
    if _warm:
        return
    context = get_context("forkserver")
    # generator.frozen last: it freezes what the others made (see that module).
    context.set_forkserver_preload([*(PDF_RENDERERS if pdf else RENDERERS), "generator.frozen"])
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no standard output to set aside (closed): the pool starts it later
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        forkserver.ensure_running()
        _warm = True
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def cool_down() -> None:
    """Stop the forkserver warm_up started, at once, when the command is over.

    It would end by itself once it notices, but only after finishing its imports: a
    rebuild that needed no worker would leave it using a core for most of a second more.
    Workers forked from it have been shut down by then (Build.close).
    """
    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)  # no public accessor
    if _warm and pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class Workers:
    """The build's pool (started on first use) and the thread that starts dependent jobs."""

    def __init__(self, count: int | None = None) -> None:
        self.count = count or cores()
        self._pool: Executor | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._lifeline: Connection | None = None
        self._waiting: queue.SimpleQueue[_Pending | object | None] = queue.SimpleQueue()
        self._order = itertools.count()
        self._starter: threading.Thread | None = None
        self._lock = threading.Lock()
        self._waiting_jobs: set[_Pending] = set()
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run `fn(*args)` in the worker processes (started on first use)."""
        with self._lock:
            if self._pool is None:
                context = get_context("forkserver")
                # Workers hold the read end; this process, the only writer, never writes:
                # when it dies (even by SIGKILL) they read EOF and exit rather than idle.
                their_end, self._lifeline = context.Pipe(duplex=False)
                self._pool = ProcessPoolExecutor(
                    self.count, mp_context=context, initializer=_exit_with_the_build,
                    initargs=(their_end,),
                )
            pool = self._pool
        return pool.submit(fn, *args)

    def submit_for(self, count: int) -> Callable[..., Future[Any]]:
        """Where `count` jobs should run: worker processes, or for a handful, a thread of
        this process (starting processes costs more than one or two images or pages)."""
        if count > IN_PROCESS_JOBS or self._pool is not None:
            return self.submit
        with self._lock:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="guidesmith")
            return self._thread.submit

    def after(
        self, needs: Sequence[Future[Any]], submit: Callable[..., Future[Any]],
        fn: Callable[..., Any], *args: Any, target: Future[Any] | None = None,
        first: bool = False,
    ) -> Future[Any]:
        """`submit(fn, *args)` once every future in `needs` is done; its result's future
        (`target` when given).

        When one of them failed, the job is not run: its future fails with
        DependencyFailed. Jobs are started from a thread of this class, never from the
        caller (starting a worker process can wait for the forkserver to be ready) nor from
        the callback of another job's future (a pool's own thread must not submit to it).
        A few at a time (a worker's worth and QUEUED_AHEAD), in the order they became
        ready, except that a job marked `first` goes before any that is not.
        """
        pending = _Pending(list(needs), submit, fn, args, target or Future(), first)
        if not pending.needs:
            self._ready(pending)
            return pending.target
        with self._lock:
            self._waiting_jobs.add(pending)
        for need in pending.needs:
            need.add_done_callback(lambda _, p=pending: self._one_done(p))
        return pending.target

    def _one_done(self, pending: _Pending) -> None:
        with self._lock:
            pending.remaining -= 1
            if pending.remaining or self._closed:
                return
            self._waiting_jobs.discard(pending)
        self._ready(pending)

    def _ready(self, pending: _Pending) -> None:
        with self._lock:
            pending.order = next(self._order)
            if self._starter is None:
                self._starter = threading.Thread(
                    target=self._start_waiting, name="guidesmith-starter", daemon=True
                )
                self._starter.start()
        self._waiting.put(pending)

    def _start_waiting(self) -> None:
        ready: list[tuple[bool, int, _Pending]] = []
        started = 0  # jobs handed to the pool and not done yet
        while (item := self._waiting.get()) is not None:
            if item is _DONE:
                started = max(0, started - 1)  # (a job of a pool closed since counts none)
            elif isinstance(item, _Pending):
                heapq.heappush(ready, (not item.first, item.order, item))
            while ready and started < self.count + QUEUED_AHEAD:
                if self._start(heapq.heappop(ready)[2]):
                    started += 1
        for _, _, pending in ready:  # closed: never started
            pending.target.cancel()

    def _start(self, pending: _Pending) -> bool:
        """Hand `pending` to its pool; whether it went (not cancelled nor skipped)."""
        target = pending.target
        if not target.set_running_or_notify_cancel():
            return False
        if any(need.cancelled() or need.exception() for need in pending.needs):
            target.set_exception(DependencyFailed())
            return False
        try:
            running = pending.submit(pending.fn, *pending.args)
        except Exception as exc:  # e.g. the pool is shut down or broken
            target.set_exception(exc)
            return False
        _forward(running, target)
        running.add_done_callback(lambda _: self._waiting.put(_DONE))
        return True

    def close(self) -> None:
        """Stop the starter thread, then the pool and thread; jobs not started are cancelled.

        The Workers can be used again afterwards (`serve` does, after a broken pool).
        """
        with self._lock:
            self._closed = True
            starter, self._starter = self._starter, None
            dropped, self._waiting_jobs = self._waiting_jobs, set()
        for pending in dropped:
            pending.target.cancel()
        if starter is not None:
            # Not joined: it may be inside a submit that the shutdown below makes fail.
            self._waiting.put(None)
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._lifeline is not None:
            self._lifeline.close()
            self._lifeline = None
        with self._lock:
            self._closed = False


class _Pending:
    """A job waiting for others; `target` is the future its caller holds."""

    def __init__(
        self, needs: list[Future[Any]], submit: Callable[..., Future[Any]],
        fn: Callable[..., Any], args: tuple[Any, ...], target: Future[Any],
        first: bool,
    ) -> None:
        self.needs = needs
        self.remaining = len(needs)
        self.submit = submit
        self.fn = fn
        self.args = args
        self.target = target
        self.first = first
        self.order = 0  # when it became ready: the first ready starts first


def _forward(source: Future[Any], target: Future[Any]) -> None:
    """Complete `target` as `source` completes (`target` must be running or pending)."""

    def done(finished: Future[Any]) -> None:
        with contextlib.suppress(Exception):  # target already settled (cancelled by close)
            error = finished.exception() if not finished.cancelled() else DependencyFailed()
            if error is not None:
                target.set_exception(error)
            else:
                target.set_result(finished.result())

    source.add_done_callback(done)


def _exit_with_the_build(lifeline: Connection) -> None:
    """In each worker process: exit as soon as the build that started it is gone."""

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()
        os._exit(1)

    threading.Thread(target=watch, name="guidesmith-lifeline", daemon=True).start()
