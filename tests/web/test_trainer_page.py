"""The trainer page (issue 19) in headless chromium: a trainer signs in over the real slapd, sees the
inbox the product's own audit code filled, and fixes messages in one step — an intent, an alias, an
entity span (selected with the mouse) — each a line-exact change of the YAML, each audited; a bad
edit is refused with the reason and writes nothing; people outside ``trainers`` are refused.

The page runs as its own ``dingk3 web`` beside the session's web stack (same slapd and simulators)
with ``project_root`` on a copy of the training data, so the repository's data/ is never edited.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from rasa_project.wiring import Wiring
from tests.browser import Chromium
from tests.requirements import need
from tests.web.pages import desktop, fits_width, phone, shot, sign_in
from tests.web.test_signin import base, csrf_of, login
from tests.web.trainers import DOC_SHOTS, card_of, said, submit, trainer_web  # noqa: F401 - trainer_web: the fixture

pytestmark = pytest.mark.slapd


def snapshot(root) -> dict:
    return {p.relative_to(root): p.read_text(encoding="utf-8").splitlines()
            for p in (root / "data").rglob("*.yml")}


def inserted(before: dict, after: dict) -> dict:
    """file -> the lines inserted (each file may only have gained lines, all others kept in order)."""
    out = {}
    for path, new in after.items():
        old = before[path]
        if old == new:
            continue
        for line in list(new):
            if old and line == old[0]:
                old = old[1:]
                continue
            out.setdefault(str(path), []).append(line)
        assert not old, f"{path}: lines removed or moved"
    return out


def training_records(settings) -> list[dict]:
    w = Wiring(settings)
    return [{"actor": r.actor, **json.loads(r.payload)} for r in w.audit.of_kinds(("training",))]


async def select_text(page, selector: str, start: int, end: int) -> None:
    """Drag the mouse over characters start..end of the element's text, as a person selects."""
    box = await page.evaluate(f"""(() => {{
        const el = document.querySelector({json.dumps(selector)}); el.scrollIntoView({{block: "center"}});
        const node = el.firstChild, r = document.createRange();
        r.setStart(node, {start}); r.setEnd(node, {start} + 1); const a = r.getBoundingClientRect();
        r.setStart(node, {end} - 1); r.setEnd(node, {end}); const b = r.getBoundingClientRect();
        return [a.left + 1, a.top + a.height / 2, b.right - 1, b.top + b.height / 2];
    }})()""")
    x0, y0, x1, y1 = box
    await page.send("Input.dispatchMouseEvent", type="mousePressed", x=x0, y=y0, button="left", clickCount=1)
    await page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x1, y=y1, button="left")
    await page.send("Input.dispatchMouseEvent", type="mouseReleased", x=x1, y=y1, button="left", clickCount=1)


FALLBACK = "P20250403 咋还没动静"  # nobody wrote it like that before: nlu_fallback
UNKNOWN_WORD = "风扇盖子还有多少"  # 风扇盖子: no material has that alias yet
SPANS = "P20250402 今天出了 40 件好的"  # understood with low confidence; the trainer marks the order and the count
TAKEN = "电机外壳库存"  # the alias 电机外壳 belongs to BOM-2050 already
INDONESIAN = "pesanan P20250401 udah beres belum ya"


def test_a_trainer_fixes_inbox_messages_in_the_browser_and_the_yaml_changes_line_exactly(trainer_web):  # noqa: F811
    need("browser")
    settings = trainer_web
    root = settings.project_root
    w = Wiring(settings)
    said(w, "cidTRAIN01", "pmc0001", TAKEN, "query_stock", 0.41, "zh")
    said(w, "cidTRAIN01", "pmc0001", "👎", "out_of_scope", 0.2, "zh")  # flags the previous turn
    said(w, "cidTRAIN02", "prod0001", SPANS, "report_progress", 0.45, "zh")
    said(w, "cidTRAIN03", "pmc0002", INDONESIAN, "query_order", 0.5, "id")
    said(w, "cidTRAIN01", "pmc0001", UNKNOWN_WORD, "query_stock", 0.9, "zh", "stock.unknown_material")
    said(w, "cidTRAIN01", "pmc0001", FALLBACK, "nlu_fallback", 0.3, "zh", "dialog.out_of_scope")
    said(w, "cidTRAIN04", "prod0002", FALLBACK + "。", "nlu_fallback", 0.28, "zh", "dialog.out_of_scope")  # same, again
    before = snapshot(root)
    web = base(settings)

    async def run():
        with Chromium() as browser:
            page = await browser.page()
            await desktop(page)
            landed = await sign_in(page, web, "lin.na", "demo-lin.na")
            assert landed == f"{web}/trainer", landed  # a trainer lands on the trainer page
            texts = await page.text_of("section.item .msgtext")
            # newest first, deduplicated by normalized text (the fallback came twice)
            assert texts[:4] == [FALLBACK + "。", UNKNOWN_WORD, INDONESIAN, SPANS], texts
            assert texts[4] == TAKEN and len(texts) == 5, texts
            first = await card_of(page, FALLBACK + "。")
            assert (await page.text_of(f"{first} .count"))[0] == "×2"
            assert (await page.text_of(f"{first} .people"))[0] == "senders: 2"  # names only for managers
            assert "王丽" not in await page.evaluate("document.body.innerText")
            assert "not answering" in (await page.text_of(".model-hash"))[0] or "无响应" in (await page.text_of(".model-hash"))[0]
            await shot(page, "trainer-inbox")
            await page.screenshot(DOC_SHOTS / "trainer-inbox.png")

            # language filter
            await page.goto(f"{web}/trainer?lang=id")
            assert await page.text_of("section.item .msgtext") == [INDONESIAN]
            await page.goto(f"{web}/trainer?reason=flagged")
            assert await page.text_of("section.item .msgtext") == [TAKEN]

            # 1. correct the intent of the fallback message
            await page.goto(f"{web}/trainer")
            await page.evaluate("""(() => { const s = document.querySelector('section.item');
                s.querySelector('select.intent').value = 'query_order'; })()""")
            await submit(page, "section.item button.save-intent")
            assert await page.evaluate("document.querySelector('#outcome').dataset.ok") == "1"
            await page.screenshot(DOC_SHOTS / "trainer-saved.png")

            # 2. an unknown word as an alias: select it with the mouse, pick the material
            card = await card_of(page, UNKNOWN_WORD)
            await select_text(page, f"{card} .msgtext", 0, 4)
            assert await page.evaluate(f"document.querySelector('{card} .alias-form .word').value") == "风扇盖子"
            await page.evaluate(f"document.querySelector('{card} .alias-form .material').value = 'BOM-3100'")
            await submit(page, f"{card} button.save-alias")
            assert await page.evaluate("document.querySelector('#outcome').dataset.ok") == "1"

            # 3. entity spans: select the order number, mark it; select the count, mark it as good_qty
            card = await card_of(page, SPANS)
            await select_text(page, f"{card} .msgtext", 0, 9)
            await page.evaluate(f"document.querySelector('{card} select.entity').value = 'order_no'")
            await page.click(f"{card} button.mark")
            start = SPANS.index(" 40 ") + 1
            await select_text(page, f"{card} .msgtext", start, start + 2)
            await page.evaluate(f"document.querySelector('{card} select.entity').value = 'good_qty'")
            await page.click(f"{card} button.mark")
            # the page shows what the extractor reads there before anything is saved
            preview = await page.wait_for(f"(() => {{ const p = document.querySelector('{card} .preview');"
                                          f" return !p.hidden && p.textContent.includes('good_qty') && p.textContent; }})()",
                                          timeout_s=10)
            assert preview == '[P20250402](order_no) 今天出了 [40](good_qty) 件好的', preview
            marked = await page.text_of(f"{card} ul.marked li")
            assert marked == ["P20250402 → order_no: P20250402", "40 → good_qty: 40"], marked
            await page.screenshot(DOC_SHOTS / "trainer-spans.png")
            await submit(page, f"{card} button.save-intent")
            assert await page.evaluate("document.querySelector('#outcome').dataset.ok") == "1"

            # 4. a refusal: the alias 电机外壳 already names BOM-2050
            card = await card_of(page, TAKEN)
            await select_text(page, f"{card} .msgtext", 0, 4)
            await page.evaluate(f"document.querySelector('{card} .alias-form .material').value = 'BOM-2051'")
            await submit(page, f"{card} button.save-alias")
            assert await page.evaluate("document.querySelector('#outcome').dataset.ok") == "0"
            problems = " ".join(await page.text_of("#outcome .problems li"))
            assert "电机外壳" in problems and "BOM-2050" in problems and "BOM-2051" in problems, problems
            await page.screenshot(DOC_SHOTS / "trainer-refused.png")

            # handled items left the inbox; the refused one stays
            await page.goto(f"{web}/trainer")
            assert await page.text_of("section.item .msgtext") == [INDONESIAN, TAKEN]
            await phone(page)
            await page.goto(f"{web}/trainer")
            assert await fits_width(page)  # usable at 390 px: no sideways scrolling
            await shot(page, "phone-trainer")
            await page.close()

    asyncio.run(run())

    after = snapshot(root)
    changes = inserted(before, after)
    assert changes == {
        "data/nlu/queries.yml": ["    - " + FALLBACK + "。"],
        "data/mapping/materials.yml": ["  - 风扇盖子"],
        "data/nlu/report_progress.yml": ["    - [P20250402](order_no) 今天出了 [40](good_qty) 件好的"],
    }, changes
    # each where its intent and language block is
    from rasa_project.nlu.datacheck import check_data, read_nlu_examples

    examples = {e.text: (e.intent, e.lang) for p in (root / "data" / "nlu").glob("*.yml")
                for e in read_nlu_examples(p, root)[0]}
    assert examples[FALLBACK + "。"] == ("query_order", "zh")
    assert examples["[P20250402](order_no) 今天出了 [40](good_qty) 件好的"] == ("report_progress", "zh")
    assert [p for p in check_data(root) if p.severity == "error"] == []
    # audited as the CLI audits: who, file, line, what
    records = training_records(settings)
    assert [(r["actor"], r["change"], r["file"]) for r in records] == [
        ("trainer0001", "example", "data/nlu/queries.yml"),
        ("trainer0001", "alias", "data/mapping/materials.yml"),
        ("trainer0001", "example", "data/nlu/report_progress.yml"),
    ]
    assert records[2]["entities"][1]["value"] == 40 and records[2]["intent"] == "report_progress"


def test_people_outside_trainers_are_refused_and_every_form_needs_its_csrf_token(trainer_web):  # noqa: F811
    web = base(trainer_web)
    with httpx.Client(base_url=web, timeout=30) as client:
        assert login(client, "wang.li", "demo-wang.li").status_code == 303  # a manager, not a trainer
        page = client.get("/trainer")
        assert page.status_code == 403 and "trainers" in page.text
        assert 'id="nav-trainer"' not in client.get("/").text
        assert client.post("/trainer/retrain", data={"csrf": csrf_of(client.get("/").text)}).status_code == 403
        assert client.get("/trainer/read?item=x").status_code == 403
    with httpx.Client(base_url=web, timeout=30) as client:
        assert login(client, "chen.jing", "demo-chen.jing").status_code == 403  # no group at all
    before = snapshot(trainer_web.project_root)
    with httpx.Client(base_url=web, timeout=30) as client:
        assert login(client, "lin.na", "demo-lin.na").status_code == 303
        page = client.get("/trainer")
        assert page.status_code == 200
        for action in ("/trainer/items/0123456789/intent", "/trainer/items/0123456789/alias", "/trainer/retrain",
                       "/trainer/switch"):
            refused = client.post(action, data={"csrf": "forged", "intent": "greet", "word": "x", "kind": "material"})
            assert refused.status_code == 403, action
        unknown = client.post("/trainer/items/0123456789/intent", data={"csrf": csrf_of(page.text), "intent": "greet"})
        assert unknown.status_code == 404
        assert client.get("/orders").status_code == 200 and "P20250401" not in client.get("/orders").text  # no orders
    assert snapshot(trainer_web.project_root) == before
