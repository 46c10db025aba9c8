"""Running a coroutine from a test, whatever else the test process has running."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_async(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run`` in a thread of its own: once the browser tests have started Playwright's sync
    API, the main thread has an event loop running, and asyncio.run (or async_to_sync) there fails
    with "cannot be called from a running event loop"."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()
