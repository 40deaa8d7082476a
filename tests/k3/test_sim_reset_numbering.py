"""The simulator's admin reset can keep its bill numbering (the dialogue runner resets K/3 between
batches; real K/3 never gives a bill number twice, and the bot voids a report by its number)."""

from __future__ import annotations

import asyncio

import httpx

from devtools.simulators.k3cloud import create_app

from .conftest import make_settings


def _after_reset(tmp_path, params: dict) -> tuple[int, int, int]:
    app = create_app(make_settings(tmp_path, k3_sim_faults_enabled=True), db_path=tmp_path / "k3.db")
    store = app.state.sim.store
    given = store.next("no:PRD_MORPT")  # a report number given before the reset

    async def reset():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
            return (await http.post("/k3cloud/_sim/reset", params=params)).status_code

    status = asyncio.run(reset())
    return status, given, store.next("no:PRD_MORPT")


def test_reset_keeping_numbers_never_gives_a_report_number_twice(tmp_path):
    status, given, after = _after_reset(tmp_path, {"keep_numbers": "1"})
    assert status == 200 and after > given


def test_a_plain_reset_starts_the_fixtures_numbering_again(tmp_path):
    status, given, after = _after_reset(tmp_path, {})
    assert status == 200 and after == given  # the old behaviour, still the default
