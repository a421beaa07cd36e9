"""The bounded window that runs the pipeline's and the LLM engine's batches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from ofsted_extractor.bounded import completed


def test_never_more_than_width_in_flight_and_every_item_done_once() -> None:
    in_flight = 0
    most = 0

    async def work(i: int) -> int:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001 * (i % 3))
        in_flight -= 1
        return i

    async def main() -> list[int]:
        return [r async for r in completed(range(20), work, width=4)]

    assert sorted(asyncio.run(main())) == list(range(20))
    assert most == 4


def test_results_come_as_they_complete_not_in_input_order() -> None:
    async def work(delay: float) -> float:
        await asyncio.sleep(delay)
        return delay

    async def main() -> list[float]:
        return [r async for r in completed([0.05, 0.0], work, width=2)]

    assert asyncio.run(main()) == [0.0, 0.05]


def test_items_are_read_only_when_a_place_frees_up() -> None:
    read: list[int] = []

    def items() -> Iterator[int]:
        for i in range(10):
            read.append(i)
            yield i

    async def work(i: int) -> int:
        await asyncio.sleep(0)
        return i

    async def main() -> int:
        batch = completed(items(), work, width=2)
        first = await anext(batch)
        await batch.aclose()
        return first

    asyncio.run(main())
    # two to fill the window, then nothing more once the consumer stops after one result
    assert read == [0, 1]


def test_closing_early_cancels_what_is_still_running() -> None:
    cancelled: list[int] = []

    async def work(i: int) -> int:
        try:
            await asyncio.sleep(0 if i == 0 else 10)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise
        return i

    async def main() -> int:
        batch = completed(range(3), work, width=3)
        first = await anext(batch)
        await batch.aclose()
        return first

    assert asyncio.run(main()) == 0
    assert sorted(cancelled) == [1, 2]


def test_a_width_below_one_still_runs_one_at_a_time() -> None:
    async def work(i: int) -> int:
        return i

    async def main() -> list[int]:
        return [r async for r in completed(range(3), work, width=0)]

    assert sorted(asyncio.run(main())) == [0, 1, 2]
