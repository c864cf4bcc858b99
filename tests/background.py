"""What every test server on a background thread shares: ``with`` starts it and stops it."""

from __future__ import annotations

from typing import Self


class Background:
    """``start()`` on entering a ``with`` block, ``stop()`` on leaving it."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
