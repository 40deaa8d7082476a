"""Play one dialogue through the real channel: the DingTalk simulator signs and delivers each turn
to the running bot (text, an action-card button's chat text, an audio message with its recognition
text, or an interactive-card press), and the bot's messages are read where DingTalk shows them
(the conversation, the speakers' 1:1 chats, the cards)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import httpx

from devtools.dialogues import lang as langs
from devtools.dialogues.expect import check_k3
from devtools.dialogues.k3 import K3Reader
from devtools.dialogues.spec import ALWAYS_MUST_NOT_SAY, Dialogue, Turn

REPLY_TIMEOUT_S = 30.0
QUIET_S = 1.2  # a turn is over when nothing more came for this long
DECISION_QUIET_S = 3.0  # decisions notify others through the worker's outbox
SETTLE_S = 12.0
DECISION = re.compile(r"(?i)批准|同意|驳回|拒绝|approve|reject|setuju|tolak")  # a decided change reaches K/3 a moment later


@dataclass
class TurnLog:
    turn: int
    kind: str
    by: str
    sent: str
    replies: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: bool = False


@dataclass
class Outcome:
    dialogue: Dialogue
    conversation: str
    failures: list[str] = field(default_factory=list)
    turns: list[TurnLog] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None

    def as_dict(self) -> dict:
        d = self.dialogue
        return {"id": d.id, "class": d.cls, "language": d.language, "source": d.source, "passed": self.passed,
                "first_failure": (self.failures[0] if self.failures else self.error), "failures": self.failures,
                "error": self.error, "conversation": self.conversation, "seconds": round(self.seconds, 1),
                "turns": [t.__dict__ for t in self.turns]}


def _message_text(m: dict) -> str:
    parts = [m.get("title") or "", m.get("text") or ""]
    card = m.get("card") or {}
    for value in (card.get("params") or {}).values():
        if isinstance(value, str):
            parts.append(value)
    for b in m.get("buttons") or []:
        parts.append(b.get("title") or "")
    return "\n".join(p for p in parts if p)


class Harness:
    """The running system, as a dialogue sees it."""

    def __init__(self, settings, dm_of) -> None:
        self.settings = settings
        self.sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
        self.k3_admin = f"http://127.0.0.1:{settings.k3_sim_port}/k3cloud/_sim"
        self.dm_of = dm_of  # staff id -> its 1:1 conversation id

    def client(self) -> httpx.Client:
        return httpx.Client(timeout=60.0)

    def reader(self) -> K3Reader:
        return K3Reader(self.settings)


class Player:
    def __init__(self, harness: Harness, dialogue: Dialogue, conversation: str | None, base: dict,
                 scope_wcs: set[str] | None) -> None:
        self.h, self.d = harness, dialogue
        self.conv_param = conversation  # None: 1:1
        self.conv = conversation or harness.dm_of(dialogue.staff[0])
        self.base, self.scope = base, scope_wcs
        self.http = harness.client()
        self.k3 = harness.reader()
        self.dms = {harness.dm_of(s) for s in dialogue.staff}
        self.orders = dialogue.orders()
        self.start_seq = 0

    # -- reading what DingTalk shows ---------------------------------------------------------------
    def messages(self, after: int) -> list[dict]:
        msgs = self.http.get(f"{self.h.sim}/_sim/messages", params={"after": after}).json()["messages"]
        return [m for m in msgs if self._relevant(m)]

    def _relevant(self, m: dict) -> bool:
        if m.get("conversation_id") == self.conv or m.get("conversation_id") in self.dms:
            return True
        return bool(set(m.get("to_staff_ids") or []) & set(self.d.staff))

    def last_seq(self) -> int:
        msgs = self.http.get(f"{self.h.sim}/_sim/messages", params={"after": self.start_seq}).json()["messages"]
        return max((m["seq"] for m in msgs), default=self.start_seq)

    def surfaces(self) -> list[dict]:
        """Approval cards of this dialogue: messages since it began that offer a decision button and
        name one of its orders (action cards, whose buttons send chat text, and interactive cards,
        whose buttons are what the card shows now)."""
        out = []
        for m in self.messages(self.start_seq):
            buttons = [b for b in (m.get("buttons") or []) if DECISION.search(b.get("title") or "")]
            if not buttons and not m.get("card"):
                continue
            if self.orders and not any(o in _message_text(m) for o in self.orders):
                continue
            out.append({**m, "buttons": buttons})
        return out

    def reachable(self, m: dict, staff: str) -> bool:
        return (staff in (m.get("to_staff_ids") or []) or m.get("conversation_id") == self.h.dm_of(staff)
                or (m.get("conversation_id") == self.conv and staff in self.d.staff))

    # -- one turn ------------------------------------------------------------------------------------
    def send(self, staff: str, text: str, msgtype: str = "text", conversation: str | None | bool = False) -> dict:
        conv = self.conv_param if conversation is False else conversation
        r = self.http.post(f"{self.h.sim}/_sim/chat", json={"conversation_id": conv, "staff_id": staff,
                                                            "text": text, "msgtype": msgtype})
        r.raise_for_status()
        return r.json()

    def wait(self, mark: int, msg_id: str | None, decision: bool) -> list[dict]:
        quiet = DECISION_QUIET_S if decision else QUIET_S
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        got: list[dict] = []
        last_change = time.monotonic()
        while time.monotonic() < deadline:
            now = self.messages(mark)
            if len(now) != len(got):
                got, last_change = now, time.monotonic()
            answered = any(m.get("conversation_id") == self.conv or m.get("in_reply_to") == msg_id for m in got)
            if (answered or (decision and got)) and time.monotonic() - last_change >= quiet:
                return got
            if decision and not got and time.monotonic() - last_change >= quiet * 2:
                return got  # a press may be answered only by the card itself
            time.sleep(0.15)
        return got

    def find_button(self, pattern: str) -> dict | None:
        rx = re.compile(pattern)
        for m in sorted(self.messages(self.start_seq), key=lambda m: -m["seq"]):
            if m.get("conversation_id") not in {self.conv} | self.dms:
                continue
            for b in m.get("buttons") or []:
                if rx.search(b.get("title") or ""):
                    return {"button": b, "message": m}
        return None

    def play_turn(self, i: int, turn: Turn, previous: list[dict]) -> tuple[TurnLog, list[dict]]:
        log = TurnLog(i + 1, turn.kind, turn.by, turn.value)
        if turn.optional and (not any(m.get("buttons") for m in previous) or (
                turn.kind == "press" and not any(re.search(turn.value, b.get("title") or "")
                                                 for m in previous for b in (m.get("buttons") or [])))):
            log.skipped = True  # the bot did not ask (or not with that button): nothing to answer
            return log, previous
        mark = self.last_seq()
        msg_id = None
        decision = turn.by == "manager0001" or turn.kind == "card"
        if turn.kind in ("say", "audio"):
            msg_id = self.send(turn.by, turn.value, "audio" if turn.kind == "audio" else "text").get("msgId")
        elif turn.kind == "press":
            found = self.find_button(turn.value)
            if found is None:
                log.failures.append(f"turn {i + 1}: no button matching /{turn.value}/ to press "
                                    f"(buttons offered: {self._offered()})")
                return log, []
            b = found["button"]
            log.sent = f"[button] {b.get('title')}"
            if b.get("content"):
                msg_id = self.send(turn.by, b["content"]).get("msgId")
            elif b.get("params") is not None and (found["message"].get("card") or {}).get("out_track_id"):
                self.press_card(found["message"]["card"]["out_track_id"], turn.by, b["params"])
                decision = True
            else:
                log.failures.append(f"turn {i + 1}: button {b.get('title')!r} sends no chat text (url only)")
                return log, []
        elif turn.kind == "card":
            rx = re.compile(turn.value)
            candidates = [(m, b) for m in sorted(self.surfaces(), key=lambda m: -m["seq"])
                          if self.reachable(m, turn.by) for b in m["buttons"] if rx.search(b["title"])]
            if not candidates:
                if turn.any_card:
                    log.skipped = True
                    log.sent = "[card] no card button left to press"
                    return log, previous
                log.failures.append(f"turn {i + 1}: no approval-card button matching /{turn.value}/ for {turn.by} "
                                    f"(cards: {[[b['title'] for b in m['buttons']] for m in self.surfaces()]})")
                return log, []
            m, b = candidates[0]
            log.sent = f"[card] {b['title']}"
            if b.get("content"):  # an action card: the client sends the text where the card is shown
                where = None if m.get("conversation_id") == self.h.dm_of(turn.by) else m.get("conversation_id")
                msg_id = self.send(turn.by, b["content"], conversation=where).get("msgId")
            else:
                self.press_card(m["card"]["out_track_id"], turn.by, b["params"])
        replies = self.wait(mark, msg_id, decision)
        log.replies = [_message_text(m) for m in replies]
        self.judge(i, turn, replies, msg_id, log)
        return log, replies

    def press_card(self, out_track_id: str, staff: str, params: dict) -> None:
        r = self.http.post(f"{self.h.sim}/_sim/card_action", json={"out_track_id": out_track_id, "staff_id": staff,
                                                                   "params": params})
        r.raise_for_status()

    def _offered(self) -> list[str]:
        return [b.get("title") for m in self.messages(self.start_seq) for b in (m.get("buttons") or [])][-8:]

    def judge(self, i: int, turn: Turn, replies: list[dict], msg_id: str | None, log: TurnLog) -> None:
        n = i + 1
        fail = log.failures.append
        in_conv = [m for m in replies if m.get("conversation_id") == self.conv]
        if turn.kind != "card" and not replies:
            fail(f"turn {n}: no reply within {REPLY_TIMEOUT_S:.0f} s")
            return
        text = "\n".join(_message_text(m) for m in replies)
        for rx in turn.must_say:
            if not re.search(rx, text):
                fail(f"turn {n}: must say /{rx}/; got: {text[:300]!r}")
        for rx in list(turn.must_not_say) + list(ALWAYS_MUST_NOT_SAY):
            hit = re.search(rx, text)
            if hit:
                fail(f"turn {n}: must not say /{rx}/ (said {hit.group(0)!r}); got: {text[:300]!r}")
        group_text = "\n".join(_message_text(m) for m in in_conv)
        for rx in turn.group_must_not_say:
            hit = re.search(rx, group_text)
            if hit:
                fail(f"turn {n}: the group must not read /{rx}/ (said {hit.group(0)!r})")
        offered = [b.get("title") or "" for m in replies for b in (m.get("buttons") or [])]
        for rx in turn.buttons:
            if not any(re.search(rx, t) for t in offered):
                fail(f"turn {n}: a button matching /{rx}/ must be offered; buttons: {offered}")
        if turn.max_replies is not None and len(in_conv) > turn.max_replies:
            fail(f"turn {n}: at most {turn.max_replies} message(s) expected, got {len(in_conv)}: "
                 f"{[_message_text(m)[:80] for m in in_conv]}")
        if turn.lang != "any" and turn.kind != "card":  # a card speaks its addressee's language
            direct = [m for m in replies if msg_id and m.get("in_reply_to") == msg_id] or \
                     ([m for m in in_conv if not m.get("card")] if turn.kind != "card" else [])
            for m in direct:
                said = langs.detect(m.get("text") or "")
                if said is not None and said != turn.lang:
                    fail(f"turn {n}: reply in {said}, the message was in {turn.lang}: {(m.get('text') or '')[:120]!r}")
                    break
        for staff in turn.mentions:
            name_hit = any(staff in (m.get("to_staff_ids") or []) or f"@{staff}" in (m.get("text") or "")
                           or re.search(r'"at(UserIds|DingtalkIds)"\s*:\s*\[[^\]]*"' + re.escape(staff) + '"',
                                        json.dumps(m.get("raw") or {}))
                           for m in in_conv)
            if not name_hit:
                fail(f"turn {n}: a group message must @-mention {staff} (by staff id)")
        if turn.cards:
            self.judge_cards(n, turn, fail)
        if turn.k3_now:
            for problem in check_k3(turn.k3_now, self.base, self.k3.snapshot(), self.scope):
                fail(f"turn {n}: {problem}")

    def judge_cards(self, n: int, turn: Turn, fail) -> None:
        cards = self.surfaces()
        spec = turn.cards
        if "for" in spec:
            staff = self.d.speakers[spec["for"]]
            reach = [c for c in cards if self.reachable(c, staff)]
            if spec.get("buttons", "none") == "none" and any(c["buttons"] for c in reach):
                fail(f"turn {n}: {staff} must see no decision buttons; sees "
                     f"{[[b['title'] for b in c['buttons']] for c in reach if c['buttons']]}")
            if spec.get("buttons") == "some" and not any(c["buttons"] for c in reach):
                fail(f"turn {n}: {staff} must get a card with decision buttons; cards reachable: {len(reach)}")
        if spec.get("decided"):
            if not cards:
                fail(f"turn {n}: an approval card must exist and show the decision")
            elif any(c["buttons"] for c in cards):
                fail(f"turn {n}: after the decision no card may still offer "
                     f"{[[b['title'] for b in c['buttons']] for c in cards if c['buttons']]}")

    # -- the whole dialogue --------------------------------------------------------------------------
    def play(self) -> Outcome:
        out = Outcome(self.d, self.conv)
        t0 = time.monotonic()
        try:
            self.start_seq = max((m["seq"] for m in self.http.get(f"{self.h.sim}/_sim/messages").json()["messages"]),
                                 default=0)
            previous: list[dict] = []
            for i, turn in enumerate(self.d.turns):
                log, previous = self.play_turn(i, turn, previous)
                out.turns.append(log)
                out.failures.extend(log.failures)
                if log.failures and not previous and turn.kind in ("press", "card"):
                    break  # the turn could not be played; what follows would be about something else
            if self.d.k3:
                deadline = time.monotonic() + (SETTLE_S if self.d.has_decision else 0)
                while True:
                    problems = check_k3(self.d.k3, self.base, self.k3.snapshot(), self.scope)
                    if not problems or time.monotonic() >= deadline:
                        break
                    time.sleep(0.5)
                out.failures.extend(f"end: {p}" for p in problems)
        except Exception as exc:  # noqa: BLE001 - the harness itself failed: reported, never counted as a pass
            out.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.http.close()
        out.seconds = time.monotonic() - t0
        return out
