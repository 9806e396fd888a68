"""Waiting in TUI tests: for a condition, never for a span of time. A wait that runs
out fails the test with what it waited for; it never lets the test carry on as if
the condition held (a slow machine then fails loudly instead of asserting on a
half-drawn screen)."""
from __future__ import annotations

import asyncio
import functools
import time

# A bound on liveness, not a speed check: far above what the slowest run needs.
DEADLINE = 120.0


async def until(cond, what: str, tick=None, pilot=None) -> None:
    """Wait until cond() holds (calling tick() before each check); fail after DEADLINE."""
    end = time.monotonic() + DEADLINE
    while True:
        if tick is not None:
            tick()
        if cond():
            break
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
    if pilot is not None:
        await pilot.pause()


def aio(fn):
    """Run an async test on its own event loop (no async pytest plugin needed)."""
    @functools.wraps(fn)
    def run(*a, **k):
        return asyncio.run(fn(*a, **k))
    return run


async def ready(app, pilot) -> None:
    """The index is complete, the source finished, and the panes show the selection."""
    await until(lambda: app.index.complete and app.source.finished, "the index to complete")
    app.tick()
    await pilot.pause()
    await panes(app, pilot)


async def panes(app, pilot) -> None:
    """The detail panes show the selected message (decoded on the loader's thread)."""
    await until(lambda: not app.details_pending, "the panes to show the selection")
    await pilot.pause()
