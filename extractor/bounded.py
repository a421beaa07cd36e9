"""A bounded window of tasks: the one scheduler of the pipeline's and the LLM engine's batches.

Both take items from a lazy iterable, keep at most a fixed number of them in flight, and hand
each result on as soon as it is done (completion order), so a slow letter holds back no other
and a long batch is never held in memory.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def completed(
    items: Iterable[T], work: Callable[[T], Awaitable[R]], *, width: int
) -> AsyncGenerator[R, None]:
    """`await work(item)` for each of `items`, at most `width` at once, yielding each result
    as it completes.

    `items` is read one at a time, only when a place in the window frees up, so a caller may
    decide per item (resume) in the iterable itself. An exception from `work` ends the batch
    there (catch what should not, inside `work`). Closing the generator early (a consumer that
    stops) cancels the tasks still running and waits for them to finish cancelling.
    """
    width = max(1, width)
    todo = iter(items)
    running: set[asyncio.Task[R]] = set()
    try:
        while True:
            for item in itertools.islice(todo, width - len(running)):
                running.add(asyncio.ensure_future(work(item)))
            if not running:
                return
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
