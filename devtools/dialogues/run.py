"""`make dialogue-test` / `python -m devtools.dialogues`: issue 13's conversation-level evaluation.

Starts the demo system once (simulators, slapd, action server, worker, Rasa on free loopback ports,
its own var directory), then plays every dialogue of tests/dialogues through the real channel, each
in a fresh DingTalk group of its speakers. Dialogues run in batches: before each batch K/3 is reset
to the demo factory (the simulator's /_sim/reset); within a batch dialogues run concurrently only when
they share no speaker and no work center (so no dialogue can see another's K/3 writes); bill numbers
carry on across the reset, as in K/3 (devtools/dialogues/k3.py, Numbering). After each
batch, approval cards still open are rejected by the manager (so no held request outlives its
dialogue). Writes reports/dialogues/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import socket
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from devtools.dialogues.play import Harness, Outcome, Player
from devtools.dialogues.report import merge, summarize, write_reports
from devtools.dialogues.spec import CLASSES, SETS, Dialogue, load_all, read_gate
from devtools.factory import get_factory

ALL = "*"
KNOWN_GROUPS = ("cidPMC0001", "cidPROD0001")
REJECT = re.compile(r"(?i)reject|拒绝|驳回|tolak")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def suite_settings(var_dir: Path):
    from devtools.stack import DEMO_ANCHOR
    from rasa_project.settings import Settings

    ports = {name: free_port() for name in ("k3", "dt", "ldap", "rasa", "actions")}
    return Settings(
        env="test", var_dir=var_dir, clock_anchor=DEMO_ANCHOR,
        k3_sim_port=ports["k3"], k3_base_url=f"http://127.0.0.1:{ports['k3']}/k3cloud/",
        dingtalk_sim_port=ports["dt"], dingtalk_openapi_url=f"http://127.0.0.1:{ports['dt']}",
        ldap_url=f"ldap://127.0.0.1:{ports['ldap']}", rasa_port=ports["rasa"], action_port=ports["actions"],
        k3_sim_faults_enabled=True,  # the admin reset between batches
        # the suite sends far more than DingTalk's 20 messages/minute per group and than one person types
        dingtalk_rate_per_minute=1000, dingtalk_sim_rate_per_minute=1000,
        dingtalk_sender_rate_per_minute=1000, dingtalk_sender_burst=1000,
        dingtalk_conversation_rate_per_minute=1000, dingtalk_conversation_burst=1000,
    )


# -- what a dialogue touches -------------------------------------------------------------------------
def _scope_tables():
    f = get_factory()
    orders = {o.bill_no: o.work_center for o in f.orders}
    words: list[tuple[re.Pattern, str]] = []
    for m in f.materials:
        digits = m.chat_code.split("-")[-1]
        words.append((re.compile(rf"(?i)bom[\s-]?{digits}"), m.work_center))
        for name in list(m.name.values()) + list(m.aliases):
            words.append((re.compile(re.escape(name), re.IGNORECASE), m.work_center))
    for wc in f.work_centers:
        for name in list(wc.name.values()) + list(wc.aliases) + [wc.number]:
            words.append((re.compile(re.escape(name), re.IGNORECASE), wc.number))
    codes = {m.chat_code: m.work_center for m in f.materials}
    all_wcs = {wc.number for wc in f.work_centers}
    # an assembly's orders check its components' stock: it touches their work centers too
    assembly = {m.work_center: {codes[c] for c, _ in m.components} for m in f.materials if m.components}
    return orders, words, codes, all_wcs, assembly


def scope_of(d: Dialogue, tables=None) -> set[str]:
    """The work centers whose K/3 state this dialogue reads or may change."""
    orders, words, codes, all_wcs, assembly = tables or _scope_tables()
    wcs = {orders[o] for o in d.orders() if o in orders}
    for text in d.texts():
        wcs |= {wc for rx, wc in words if rx.search(text)}
    for item in d.k3.get("new_orders", []) + [i for t in d.turns for i in t.k3_now.get("new_orders", [])]:
        wcs.add(codes.get(item["material"], ALL))
    for wc in list(wcs):
        wcs |= assembly.get(wc, set())
    if ALL in wcs or (not wcs and ("new_orders" in d.k3 or any(t.k3_now for t in d.turns) or d.k3)):
        return set(all_wcs)
    return wcs


def locks_of(d: Dialogue, tables=None) -> set[str]:
    locks = {f"staff:{s}" for s in d.staff} | {f"wc:{w}" for w in scope_of(d, tables)}
    if d.conversation not in ("group", "dm"):
        locks.add(f"conv:{d.conversation}")
    if any(t.kind == "card" or t.cards for t in d.turns) or "manager0001" in d.speakers.values():
        locks.add("approvals")  # cards are matched by order; one decision flow at a time keeps them apart
    if "manager0001" in d.speakers.values():
        # any change elsewhere may be held for the manager, whose 1:1 chat this dialogue reads: the
        # card of another dialogue's change would count as this dialogue's reply
        locks |= {f"wc:{w}" for w in (tables or _scope_tables())[3]}
    return locks


def batches(dialogues: list[Dialogue], concurrency: int) -> list[list[Dialogue]]:
    tables = _scope_tables()
    left = list(dialogues)
    out = []
    while left:
        batch, held = [], set()
        for d in list(left):
            locks = locks_of(d, tables)
            if len(batch) < concurrency and not (locks & held):
                batch.append(d)
                held |= locks
                left.remove(d)
        out.append(batch)
    return out


# -- playing ---------------------------------------------------------------------------------------
def _dm_table(settings) -> dict:
    sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
    people = httpx.get(f"{sim}/_sim/directory", timeout=30).json()["people"]
    return {p["staff_id"]: p["dm_conversation_id"] for p in people}


def reset_k3(settings) -> None:
    # keep_numbers: output report numbers (SCHB...) carry on too; the bot voids and corrects a report by
    # its number, so a number given again after the reset made a void of an earlier batch's report
    # delete a later dialogue's report in K/3
    r = httpx.post(f"http://127.0.0.1:{settings.k3_sim_port}/k3cloud/_sim/reset", params={"keep_numbers": "1"},
                   timeout=60)
    r.raise_for_status()


def quiet_until(sim: str, quiet_s: float, limit_s: float = 15.0) -> None:
    """Until the simulator has recorded nothing new for ``quiet_s`` (at most ``limit_s``)."""
    deadline = time.monotonic() + limit_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        msgs = httpx.get(f"{sim}/_sim/messages", params={"after": 0}, timeout=30).json()["messages"]
        top = max((m["seq"] for m in msgs), default=0)
        if top != last:
            last, since = top, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.2)


def reject_open_cards(settings, after_seq: int, dms: dict) -> int:
    """The manager rejects every approval of the batch still open: presses the reject button of each
    approval card sent since ``after_seq`` (an action card's button sends its text 1:1; an
    interactive card is pressed). Pressing one already decided changes nothing."""
    sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
    owner = {conv: staff for staff, conv in dms.items()}
    pressed = 0
    quiet_until(sim, 1.5)  # approval cards go out through the worker's outbox, a moment after the turn
    for m in httpx.get(f"{sim}/_sim/messages", params={"after": after_seq}, timeout=30).json()["messages"]:
        conv = m.get("conversation_id")
        staff = owner.get(conv) or ("manager0001" if conv in KNOWN_GROUPS else None)
        if staff != "manager0001":
            continue
        for b in m.get("buttons") or []:
            if not REJECT.search(b.get("title") or ""):
                continue
            if b.get("content"):
                httpx.post(f"{sim}/_sim/chat", timeout=60, json={
                    "conversation_id": None if conv in owner else conv, "staff_id": staff, "text": b["content"]})
            elif m.get("card"):
                httpx.post(f"{sim}/_sim/card_action", timeout=60, json={
                    "out_track_id": m["card"]["out_track_id"], "staff_id": staff, "params": b["params"]})
            pressed += 1
            break
    return pressed


def make_group(settings, d: Dialogue, run_tag: str, n: int) -> str | None:
    if d.conversation == "dm":
        return None
    if d.conversation != "group":
        return d.conversation
    cid = f"cidDLG{run_tag}{n:04d}"
    sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
    r = httpx.post(f"{sim}/_sim/groups", timeout=30,
                   json={"conversation_id": cid, "title": f"对话 {d.id}", "members": d.staff})
    r.raise_for_status()
    return cid


def play_all(settings, dialogues: list[Dialogue], *, concurrency: int = 3, progress=print) -> list[Outcome]:
    from devtools.dialogues.k3 import K3Reader, Numbering

    dms = _dm_table(settings)
    from devtools.simulators.dingtalk.wire import dm_conversation_id

    harness = Harness(settings, lambda staff: dms.get(staff) or dm_conversation_id(staff))
    tables = _scope_tables()
    run_tag = uuid.uuid4().hex[:6]
    outcomes: list[Outcome] = []
    n = 0
    plan = batches(dialogues, concurrency)
    if reject_open_cards(settings, 0, dms):  # a shared system (the e2e stack): nothing held from before
        time.sleep(2.0)
    numbering = Numbering(K3Reader(settings))
    for b_index, batch in enumerate(plan):
        upto = numbering.next_number()  # K/3 never gives a number twice; its reset must not either
        reset_k3(settings)
        numbering.skip_past(upto)
        base = K3Reader(settings).snapshot()
        sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
        msgs = httpx.get(f"{sim}/_sim/messages", timeout=30).json()["messages"]
        seq_before = max((m["seq"] for m in msgs), default=0)
        players = []
        for d in batch:
            n += 1
            players.append(Player(harness, d, make_group(settings, d, run_tag, n), base, scope_of(d, tables)))
        with ThreadPoolExecutor(max_workers=max(1, len(players))) as pool:
            results = list(pool.map(lambda p: p.play(), players))
        for o in results:
            outcomes.append(o)
            progress(f"[{len(outcomes):3d}/{len(dialogues)}] {'PASS' if o.passed else 'FAIL'} {o.dialogue.id}"
                     + ("" if o.passed else f"  -- {o.failures[0] if o.failures else o.error}"))
        if reject_open_cards(settings, seq_before, dms):
            time.sleep(2.0)  # the rejections' notices and card updates land before K/3 is reset
    return outcomes


def select(dialogues: list[Dialogue], only: list[str], classes: list[str], gate: bool) -> list[Dialogue]:
    chosen = dialogues
    if gate:
        ids = set(read_gate())
        chosen = [d for d in chosen if d.id in ids]
    if only:
        chosen = [d for d in chosen if d.id in set(only)]
    if classes:
        chosen = [d for d in chosen if d.cls in set(classes)]
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.dialogues", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="dialogue ids")
    parser.add_argument("--class", dest="classes", nargs="*", default=[], choices=CLASSES)
    parser.add_argument("--gate", action="store_true", help="only the gate list (tests/dialogues/gate.txt)")
    parser.add_argument("--set", dest="dialogue_set", default="main", choices=sorted(SETS),
                        help="which dialogues: main = tests/dialogues/*.yml (default), fresh = tests/dialogues/fresh/, "
                             "fresh2 = tests/dialogues/fresh2/")
    parser.add_argument("--concurrency", type=int, default=3, help="dialogues played at once (default 3)")
    parser.add_argument("--model", help="model archive (default: train or reuse the cached one)")
    parser.add_argument("--out", help="report directory (default reports/dialogues)")
    parser.add_argument("--merge", action="store_true",
                        help="replace only these dialogues' results in the existing latest.json (a partial re-run)")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def stop(_signo, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    from devtools.stack import demo_stack
    from rasa_project.nlu.training import ensure_model
    from rasa_project.settings import Settings

    staff = {p.dingtalk_staff_id for p in get_factory().people}
    if args.gate and args.dialogue_set != "main":
        print("--gate names dialogues of the main set", file=sys.stderr)
        return 2
    dialogues = select(load_all(SETS[args.dialogue_set], known_staff=staff), args.only, args.classes, args.gate)
    if not dialogues:
        print("no dialogue selected", file=sys.stderr)
        return 2
    root = Settings().project_root
    model = Path(args.model) if args.model else ensure_model()
    # its own var directory per set: a fresh-set run never wipes a main-set run's logs
    work_dir = root / "var" / ("dialogues" if args.dialogue_set == "main" else f"dialogues-{args.dialogue_set}")
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    settings = suite_settings(work_dir)
    print(f"Dialogues: {len(dialogues)}, whole system on loopback (logs: {work_dir / 'logs'}) ...", flush=True)
    started = time.monotonic()
    with demo_stack(settings, model):
        outcomes = play_all(settings, dialogues, concurrency=args.concurrency)
    report = summarize(outcomes, duration_s=time.monotonic() - started, work_dir=work_dir)
    out_dir = Path(args.out) if args.out else root / "reports" / "dialogues"
    if args.merge and (out_dir / "latest.json").exists():
        report = merge(json.loads((out_dir / "latest.json").read_text(encoding="utf-8")), report)
    write_reports(report, out_dir)
    o = report["overall"]
    print(f"passed {o['passed']}/{o['total']} ({o['rate']:.1%}); report: {out_dir / 'latest.md'}")
    return 0
