"""The resilience kit's periodic jobs: first run, no overlap, failures, reschedule, stop."""

from __future__ import annotations

import asyncio

import pytest

from gateway.resilience.periodic import Periodic


@pytest.mark.parametrize(
    ("run_at_start", "after_s", "expected_runs"),
    [
        pytest.param(True, 0.02, 1, id="at-start"),
        pytest.param(False, 0.02, 0, id="one-interval-later"),
    ],
)
async def test_first_run(run_at_start: bool, after_s: float, expected_runs: int) -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)

    periodic = Periodic("t", job, 0.2, run_at_start=run_at_start)
    periodic.start()
    await asyncio.sleep(after_s)
    await periodic.stop()
    assert len(runs) == expected_runs


async def test_a_failing_run_does_not_end_the_job() -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)
        raise RuntimeError("boom")

    periodic = Periodic("t", job, 0.01, run_at_start=True)
    periodic.start()
    for _ in range(200):
        if len(runs) >= 3:
            break
        await asyncio.sleep(0.01)
    await periodic.stop()
    assert len(runs) >= 3


async def test_runs_never_overlap() -> None:
    active = 0
    most = 0

    async def job() -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.03)
        active -= 1

    periodic = Periodic("t", job, 0.001, run_at_start=True)
    periodic.start()
    await asyncio.sleep(0.15)
    await periodic.stop()
    assert most == 1


async def test_reschedule_waits_the_new_interval_from_now() -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)

    periodic = Periodic("t", job, 60.0)
    periodic.start()
    await asyncio.sleep(0.01)
    periodic.reschedule(0.01)
    for _ in range(200):
        if runs:
            break
        await asyncio.sleep(0.01)
    await periodic.stop()
    assert runs


@pytest.mark.parametrize(
    ("finish_run", "finished"),
    [pytest.param(True, True, id="finish-run"), pytest.param(False, False, id="cancel-run")],
)
async def test_stop_finishes_or_cancels_the_run(finish_run: bool, finished: bool) -> None:
    started = asyncio.Event()
    done: list[bool] = []

    async def job() -> None:
        started.set()
        await asyncio.sleep(0.05)
        done.append(True)

    periodic = Periodic("t", job, 60.0, run_at_start=True)
    periodic.start()
    await started.wait()
    await periodic.stop(finish_run=finish_run)
    assert bool(done) is finished
    await periodic.stop()  # idempotent
