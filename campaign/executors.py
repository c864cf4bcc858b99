"""Where the build's work runs, behind the ``concurrent.futures.Executor`` interface: ``local``
gives a process pool (fonts registered once per worker) or, for one job, the calling process;
``opened`` gives a Dask cluster instead when a scheduler is named (campaign/cluster.py)."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from campaign import typeset

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")


class InlineExecutor(Executor):
    """Runs each task at once in the calling process (``--jobs 1``: no pool, no pickling)."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # handed to whoever reads the future, as a pool would
            future.set_exception(err)
        return future


def _start_worker() -> None:
    """Pool initializer: register the fonts once per worker process."""
    typeset.register_fonts()


def workers(jobs: int | None) -> int:
    """How many processes ``--jobs`` asks for (None or 0: every core)."""
    return jobs if jobs and jobs > 0 else (os.cpu_count() or 1)


def local(jobs: int | None = None) -> Executor:
    """The local executor: a process pool of ``jobs`` workers, or in-process for one."""
    count = workers(jobs)
    if count == 1:
        return InlineExecutor()
    return ProcessPoolExecutor(max_workers=count, initializer=_start_worker)


@contextmanager
def opened(jobs: int | None, scheduler: str | None = None) -> Iterator[tuple[Executor, int]]:
    """The executor a build runs on, and how many tasks to keep in flight: the Dask cluster
    ``scheduler`` names (``jobs`` is then the cluster's business), else the local executor."""
    if scheduler is not None:
        from campaign import cluster  # imports Dask, an optional extra, only when asked for

        with cluster.dask_executor(scheduler) as (executor, slots):
            yield executor, 2 * slots
        return
    with local(jobs) as pool:
        yield pool, 2 * workers(jobs)


def stream(
    executor: Executor,
    fn: Callable[[A], R],
    items: Iterable[tuple[T, A | None]],
    window: int,
) -> Iterator[tuple[T, R | None]]:
    """Run ``fn(arg)`` for each ``(tag, arg)`` and yield ``(tag, result)`` in the order given
    (``None`` for an item without an argument), keeping at most ``window`` tasks in flight so
    neither the arguments nor the results pile up in memory."""
    pending: deque[tuple[T, Future[R] | None]] = deque()
    for tag, arg in items:
        pending.append((tag, None if arg is None else executor.submit(fn, arg)))
        while sum(future is not None for _, future in pending) > window or (
            pending and pending[0][1] is None
        ):
            tag, future = pending.popleft()
            yield tag, None if future is None else future.result()
    for tag, future in pending:
        yield tag, None if future is None else future.result()
