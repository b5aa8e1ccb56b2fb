"""Progress of a long report: a callback ``progress(done, total, message)``; ``total`` None when unknown.

>>> render("committee-summary", "xlsx", {"cycle": 3}, progress=lambda done, total, what: print(done, total, what))

:class:`Ticker` calls it every ``every`` rows and once at the end, so a renderer never floods it.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int | None, str], None]


def quiet(done: int, total: int | None, message: str) -> None:
    """The progress callback that says nothing."""


class Ticker:
    def __init__(self, progress: Progress | None, total: int | None, message: str, *, every: int = 1000):
        self.progress, self.total, self.message, self.every = progress or quiet, total, message, every
        self.count = 0

    def tick(self, n: int = 1) -> None:
        before = self.count
        self.count += n
        if self.count // self.every != before // self.every:
            self.progress(self.count, self.total, self.message)

    def done(self) -> None:
        self.progress(self.count, self.total if self.total is not None else self.count, self.message)
