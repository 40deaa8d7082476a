"""Retrain and compare from the trainer page, for real (marker ``retrain``, run by ``make trainer-test``;
``make test`` leaves it out: a real ``rasa train`` plus scoring two models takes minutes on 2 cores).

A trainer annotates a message the running model did not understand, presses "Retrain and compare",
the page follows the background job (no request waits for it) and shows the compare report: every
evaluation set before / after, per language, regressions first, and the annotated message now
understood. A worse model is not switched to without the explicit confirmation; the switch goes
through the rollout (``review/rollout.py``) to the configured Rasa servers.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from rasa_project.nlu.datacheck import evaluation_sets
from rasa_project.wiring import Wiring
from tests.browser import Chromium
from tests.requirements import need
from tests.web.pages import desktop, sign_in
from tests.web.test_signin import base, csrf_of, login
from tests.web.trainers import DOC_SHOTS, card_of, said, submit, trainer_web  # noqa: F401 - trainer_web: the fixture

pytestmark = [pytest.mark.slapd, pytest.mark.retrain]

NEW = "P20250405 那单到底啥时候能弄好呀"  # worded like nobody in data/nlu


def test_retrain_from_the_page_shows_the_report_and_the_annotated_message_is_understood(trainer_web):  # noqa: F811
    need("browser")
    settings = trainer_web
    w = Wiring(settings)
    said(w, "cidRETRAIN", "pmc0001", NEW, "nlu_fallback", 0.3, "zh", "dialog.out_of_scope")
    web = base(settings)

    async def run():
        with Chromium() as browser:
            page = await browser.page()
            await desktop(page)
            await sign_in(page, web, "lin.na", "demo-lin.na")
            card = await card_of(page, NEW)
            await page.evaluate(f"document.querySelector('{card} select.intent').value = 'query_order'")
            await submit(page, f"{card} button.save-intent")
            assert await page.evaluate("document.querySelector('#outcome').dataset.ok") == "1"
            started = time.monotonic()
            await page.click("#retrain")
            # the button answers at once: the page shows the job running
            await page.wait_for("location.pathname === '/trainer/retrain' && !!document.querySelector('#job')",
                                timeout_s=20)
            assert time.monotonic() - started < 15
            assert await page.evaluate("document.querySelector('#job').dataset.running") == "1"
            # the page follows the training: Rasa's epoch counter shows up
            await page.wait_for("(document.querySelector('#epoch') || {}).textContent", timeout_s=900, interval_s=1)
            await page.screenshot(DOC_SHOTS / "trainer-retrain-running.png")
            # a second press while it runs starts nothing
            with httpx.Client(base_url=web, timeout=30) as client:
                assert login(client, "lin.na", "demo-lin.na").status_code == 303
                busy = client.post("/trainer/retrain", data={"csrf": csrf_of(client.get("/trainer").text)})
                assert busy.status_code == 409
            await page.wait_for("!!document.querySelector('#job') && document.querySelector('#job').dataset.running === '0'",
                                timeout_s=1500, interval_s=2)
            stage = await page.evaluate("document.querySelector('#job').dataset.stage")
            assert stage in ("done", "worse"), (stage, await page.text_of("#log"))
            sets = await page.evaluate("Array.from(document.querySelectorAll('#figures tr.set-row')).map(r => r.dataset.set)")
            assert sorted(sets) == sorted(p.stem for p in evaluation_sets(settings.project_root))
            assert await page.evaluate("document.querySelectorAll('#figures tr.lang-row').length") >= 3 * len(sets)
            understood = await page.evaluate("""Array.from(document.querySelectorAll('#understood li'))
                .map(li => [li.innerText, li.dataset.understood])""")
            mine = [flag for text, flag in understood if text.startswith(NEW)]
            assert mine == ["1"], understood
            kinds = await page.evaluate("Array.from(document.querySelectorAll('#changed li.change')).map(li => li.className)")
            assert kinds == sorted(kinds, key=lambda k: ("regression" not in k, "changed" not in k))  # regressions first
            await desktop(page, height=1700)  # the whole report in one picture
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(DOC_SHOTS / "trainer-report.png")
            await desktop(page)

            report = json.loads(next((settings.var_dir / "review" / "retrain").glob("*/compare.json")).read_text())
            if report["worse"]:  # not switched without the confirmation
                await page.click("#switch")
                await page.wait_for("!!document.querySelector('#retrain-error')", timeout_s=20)
                assert not await page.evaluate("!!document.querySelector('#switched')")
                await page.click("#confirm-worse")
            await page.click("#switch")
            await page.wait_for("!!document.querySelector('#switched')", timeout_s=60)
            # the rollout tried each configured server (none answers in this stack)
            lines = await page.text_of("#switched p")
            assert lines == [f"{settings.review_rasa_urls[0]}: unreachable (ConnectError)"], lines
            await page.close()
            return report

    report = asyncio.run(run())
    records = [json.loads(r.payload) | {"actor": r.actor} for r in w.audit.of_kinds(("training",))]
    switch = [r for r in records if r.get("change") == "model_switch"]
    assert switch and switch[-1]["actor"] == "trainer0001" and switch[-1]["model"] == report["after_model"]
    assert switch[-1]["accepted_worse"] == bool(report["worse"]) and switch[-1]["via"] == "web"
