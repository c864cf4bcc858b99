"""Build progress as text: the rate label of the terminal bar, and plain lines for logs (when
standard error is not a terminal) every 10 % or every 100 jobs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def rate(done: int, elapsed: float) -> float:
    """Jobs per second so far (0 before any time has passed)."""
    return done / elapsed if elapsed > 0 else 0.0


def line(done: int, total: int, elapsed: float, noun: str = "jobs done") -> str:
    """``jobs done 120/399 (30 %), 14.2/s`` (rendered, or found unchanged and kept)."""
    percent = 100 * done // total if total else 100
    return f"{noun} {done}/{total} ({percent} %), {rate(done, elapsed):.1f}/s"


class PlainProgress:
    """Writes a progress line to ``stream`` at each 10 % step or every 100 jobs, and at the end."""

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        noun: str = "jobs done",
    ) -> None:
        self._stream, self._clock, self._noun = stream, clock, noun
        self._start = clock()
        self._step = (-1, -1)

    def __call__(self, done: int, total: int, *_: object) -> None:
        step = (10 * done // total if total else 10, done // 100)
        if step == self._step:
            return
        self._step = step
        self._stream.write(line(done, total, self._clock() - self._start, self._noun) + "\n")
        self._stream.flush()


class RateLabel:
    """The label the terminal bar shows beside its counts and ETA: ``14.2/s``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self.done = 0

    def __call__(self, _: object = None) -> str:
        return f"{rate(self.done, self._clock() - self._start):.1f}/s"
