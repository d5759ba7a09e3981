"""Jobs that wait for others: started as soon as what they need is done, never if it failed."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from generator.companions import Scheduled
from generator.errors import GuideErrors
from generator.views import Companion
from generator.workers import POOL_BROKEN, DependencyFailed, Workers


class _Inline:
    """Runs each job at once in a new thread, as an executor would."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except Exception as exc:
                future.set_exception(exc)

        threading.Thread(target=run).start()
        return future


@pytest.fixture
def workers():
    made = Workers(1)
    yield made
    made.close()


def test_a_job_starts_only_when_every_job_it_needs_is_done(workers: Workers) -> None:
    first, second = Future(), Future()
    started = threading.Event()

    def job(x: int) -> int:
        started.set()
        return x * 2

    result = workers.after([first, second], _Inline().submit, job, 21)
    first.set_result(None)
    assert not started.wait(0.2)
    second.set_result(None)
    assert result.result(timeout=5) == 42


def test_a_job_whose_dependency_failed_is_not_run(workers: Workers) -> None:
    needed: Future = Future()
    ran: list[int] = []
    result = workers.after([needed], _Inline().submit, ran.append, 1)
    needed.set_exception(ValueError("the image could not be decoded"))
    with pytest.raises(DependencyFailed):
        result.result(timeout=5)
    assert ran == []


def test_a_job_that_needs_nothing_starts_at_once_and_its_failure_is_its_own(
    workers: Workers,
) -> None:
    def fails() -> None:
        raise RuntimeError("layout failed")

    with pytest.raises(RuntimeError, match="layout failed"):
        workers.after([], _Inline().submit, fails).result(timeout=5)


def test_a_job_marked_first_starts_before_those_ready_earlier(workers: Workers) -> None:
    started: list[str] = []
    running: dict[str, Future] = {}

    def submit(_: object, name: str) -> Future:
        started.append(name)
        running[name] = Future()
        return running[name]

    def until(count: int) -> list[str]:
        deadline = time.monotonic() + 5
        while len(started) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return started

    for name in ("a", "b"):  # the one worker's job and the one queued ahead of it
        workers.after([], submit, None, name)
    assert until(2) == ["a", "b"]
    for name, first in (("c", False), ("d", False), ("e", True)):
        workers.after([], submit, None, name, first=first)
    time.sleep(0.2)
    assert started == ["a", "b"]  # no place for them yet
    running["a"].set_result(None)
    assert until(3) == ["a", "b", "e"]
    running["b"].set_result(None)
    running["e"].set_result(None)
    assert until(5) == ["a", "b", "e", "c", "d"]


def test_chains_run_in_order_through_worker_processes(workers: Workers) -> None:
    first = workers.submit(pow, 2, 10)
    second = workers.after([first], workers.submit, pow, 3, 2)
    third = workers.after([first, second], workers.submit, divmod, 7, 2)
    assert (first.result(timeout=60), second.result(timeout=60), third.result(timeout=60)) == (
        1024, 9, (3, 1))


def test_close_cancels_the_jobs_still_waiting_and_they_never_start(workers: Workers) -> None:
    never: Future = Future()
    ran: list[str] = []
    waiting = workers.after([never], _Inline().submit, ran.append, "started")
    workers.close()
    never.set_result(None)  # done after close: the job must not start
    with pytest.raises(CancelledError):
        waiting.result(timeout=5)
    assert ran == []


def test_a_worker_that_dies_fails_its_job_and_the_next_use_starts_a_fresh_pool(
    workers: Workers,
) -> None:
    dying = workers.submit(os._exit, 3)
    waiting = workers.after([dying], workers.submit, pow, 2, 2)
    with pytest.raises(BrokenProcessPool):
        dying.result(timeout=60)
    with pytest.raises(DependencyFailed):
        waiting.result(timeout=60)
    workers.close()
    assert workers.submit(pow, 2, 5).result(timeout=60) == 32


def test_a_broken_pool_is_one_clear_error_and_the_pool_is_dropped(tmp_path: Path) -> None:
    workers = Workers(1)
    workers.submit(pow, 1, 1).result(timeout=60)  # the pool exists
    broken: Future = Future()
    broken.set_exception(BrokenProcessPool("gone"))
    companion = Companion("g/g.pdf", tmp_path / "x.pdf", "pdf", (), "a4", "S", None, tmp_path)
    with pytest.raises(GuideErrors) as raised:
        Scheduled(((companion, broken),)).wait(workers)
    assert [e.text() for e in raised.value.errors] == [f"g/g.pdf: {POOL_BROKEN}"]
    assert workers.submit(pow, 3, 2).result(timeout=60) == 9  # a fresh pool
    workers.close()
