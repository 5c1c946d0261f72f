"""Shared fixtures: a registry shaped like the demo house, without any network; and the
order the suite runs in (the slowest files first, from the last run's durations)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pydantic_ai.models
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from devices.capabilities import Domain, MediaPlayerFeature, MediaPlayerState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.jobstore import SqliteJobStore

DURATIONS = "dobby/durations"
"""Where the cache (`.pytest_cache`) keeps each test's seconds from the runs so far."""
_measured: dict[str, float] = {}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slowest files first, each file's tests in their own order: `-n` hands the
    tests out in this order, so a file that starts a whole virtual house per test does not
    come last and keep one process busy while the others wait. From the durations the
    earlier runs left in the cache; without them, or asked for failures or new tests
    first (--ff, --nf), the order stays as collected."""
    cache = getattr(config, "cache", None)
    if cache is None or config.getoption("failedfirst") or config.getoption("newfirst"):
        return
    seconds: dict[str, float] = cache.get(DURATIONS, {})
    if not seconds:
        return
    by_file: dict[str, float] = {}
    for item in items:
        file = item.nodeid.split("::", 1)[0]
        by_file[file] = by_file.get(file, 0.0) + seconds.get(item.nodeid, 0.0)
    items.sort(key=lambda item: -by_file[item.nodeid.split("::", 1)[0]])  # stable


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up each test's set-up, call and teardown (with -n, the reports reach the
    controlling process too, which keeps them)."""
    _measured[report.nodeid] = _measured.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Keep this run's durations for the next run's order (merged: a run of a few files
    leaves the others' as they were). Only the controlling process writes."""
    cache = getattr(session.config, "cache", None)
    if cache is None or hasattr(session.config, "workerinput") or not _measured:
        return
    seconds: dict[str, float] = cache.get(DURATIONS, {})
    seconds.update({nodeid: round(taken, 2) for nodeid, taken in _measured.items()})
    cache.set(DURATIONS, seconds)


# No test reaches a real model, whatever DOBBY_MODEL says: a model request fails instead.
# A test that talks to a fake model server on loopback says so with
# `pydantic_ai.models.override_allow_model_requests(True)`.
pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

ALL_MEDIA = frozenset(f.value for f in MediaPlayerFeature)


def add_speaker(
    registry: Registry, name: str, area: str, state: str = "playing", adapter: str = "fake"
) -> str:
    """Add a speaker the way an adapter would; returns its entity id."""
    uid = f"uid-{name}"
    entity = registry.upsert_device(
        adapter,
        DeviceInfo(unique_id=uid, name=name, host="127.0.0.1", suggested_area=area),
        [
            EntitySpec(
                unique_id=uid,
                domain=Domain.MEDIA_PLAYER,
                name=name,
                features=ALL_MEDIA,
                state=MediaPlayerState(state=state, volume=20),  # type: ignore[arg-type]
            )
        ],
    )[0]
    return entity.entity_id


@pytest.fixture(name="add_speaker")
def add_speaker_fixture() -> object:
    """`add_speaker(registry, name, area, state="playing")`, for tests that build houses."""
    return add_speaker


@pytest.fixture
def home() -> Registry:
    """The demo house's floors, areas and three speakers."""
    registry = Registry()
    registry.add_floor("Ground Floor", aliases=["downstairs"])
    registry.add_floor("Upstairs")
    registry.add_area("Living Room", floor="Ground Floor", aliases=["lounge"])
    registry.add_area("Kitchen", floor="Ground Floor")
    registry.add_area("Bedroom", floor="Upstairs")
    add_speaker(registry, "Living Room", "Living Room")
    add_speaker(registry, "Kitchen", "Kitchen")
    add_speaker(registry, "Bedroom", "Bedroom", state="stopped")
    return registry


async def rewind(database: Path, job_id: str, to: datetime) -> None:
    """Move a stored job's next run time, as if the clock had passed it while Dobby was off
    (APScheduler's own public API on the job store, exactly what the store would hold)."""
    scheduler = AsyncIOScheduler(jobstores={"default": SqliteJobStore(database)})
    scheduler.start(paused=True)
    scheduler.modify_job(job_id, next_run_time=to)
    scheduler.shutdown(wait=False)
    for _ in range(10):
        await asyncio.sleep(0)


@pytest.fixture(name="rewind")
def rewind_fixture() -> object:
    """`await rewind(database, job_id, to)`: a stored job came due while Dobby was down."""
    return rewind
