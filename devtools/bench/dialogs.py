"""The conversations the benchmark and the reliability run hold with the bot.

What users type is user input, not bot text, so it lives here and not in the catalog. Each flow
returns the ``Turn``s it saw; success is judged by what the bot said (a bill number, the summary's
confirm buttons), never by timing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from devtools.bench.harness import BILL_NO, ChatDriver, Slot, Turn

# Who may do what (LDAP groups of the demo directory): pmc + managers create; production reads.
CREATORS = ("pmc0001", "pmc0002", "manager0001")
READERS = ("prod0001", "prod0002")
GROUP_MEMBERS = {"cidPMC0001": ("pmc0001", "pmc0002", "manager0001"),
                 "cidPROD0001": ("pmc0001", "manager0001", "prod0001", "prod0002")}


def create_slots() -> list[Slot]:
    """Every (person, conversation) that may create orders: 1:1 chats first, then groups."""
    slots = [Slot(s) for s in CREATORS]
    slots += [Slot(s, cid) for cid, members in GROUP_MEMBERS.items() for s in members if s in CREATORS]
    return slots


def query_slots() -> list[Slot]:
    slots = create_slots() + [Slot(s) for s in READERS]
    slots += [Slot(s, "cidPROD0001") for s in READERS]
    return slots


def conversation_key(slot: Slot) -> str:
    return slot.conversation_id or f"dm:{slot.staff_id}"


PROGRESS = (
    ("zh", "P20250401 进度怎么样", "P20250401"),
    ("id", "Bagaimana progres P20250402", "P20250402"),
    ("en", "progress of P20250403?", "P20250403"),
)
CREATE = {
    "zh": ("创建生产订单 {material} 数量 {qty}，4月{day}日完工，标准生产订单，冲压车间", "确认"),
    "id": ("Buat pesanan produksi {material} jumlah {qty}, selesai tanggal {day} April, tipe standar, bengkel stamping",
           "ya"),
    "en": ("Create production order {material} qty {qty}, finish April {day}, standard type, stamping shop", "yes"),
}
MATERIALS = ("BOM-2050", "BOM-2051")


@dataclass
class CreateRequest:
    lang: str
    text: str
    yes: str


def create_request(rng: random.Random, lang: str | None = None) -> CreateRequest:
    lang = lang or rng.choice(sorted(CREATE))
    template, yes = CREATE[lang]
    text = template.format(material=rng.choice(MATERIALS), qty=rng.randrange(10, 100), day=rng.randrange(10, 26))
    return CreateRequest(lang, text, yes)


def is_summary(replies: list[dict]) -> bool:
    """The draft summary is the reply that offers confirm / cancel buttons."""
    return any(r.get("buttons") for r in replies)


def has_bill_no(replies: list[dict]) -> bool:
    return any(BILL_NO.search(r.get("text") or "") for r in replies)


@dataclass
class CreateFlow:
    """One create + confirm conversation; ``confirms`` holds every confirm turn (retries included)."""

    slot: Slot
    request: CreateRequest
    summary: Turn | None = None
    confirms: list[Turn] = field(default_factory=list)

    @property
    def bill_numbers(self) -> list[str]:
        return [b for t in self.confirms for b in t.bill_numbers]

    @property
    def is_done(self) -> bool:
        return bool(self.bill_numbers)

    def refresh(self, chat: ChatDriver) -> None:
        """Pick up replies that came after their turn stopped waiting (DingTalk pacing or retries
        can delay a reply by up to a minute; late is not lost)."""
        for turn in ([self.summary] if self.summary else []) + self.confirms:
            turn.replies = chat.replies_to(turn.sent)


SETTLE_S = 0.3  # after the first reply, for a turn's trailing messages


def ask_progress(chat: ChatDriver, slot: Slot, index: int, *, timeout_s: float) -> tuple[Turn, bool]:
    _lang, text, bill_no = PROGRESS[index % len(PROGRESS)]
    turn = chat.ask(slot, text, timeout_s=timeout_s, settle_s=SETTLE_S)
    return turn, bill_no in turn.text


def create_and_confirm(
    chat: ChatDriver,
    slot: Slot,
    request: CreateRequest,
    *,
    timeout_s: float,
    confirm_tries: int = 1,
    retry_pause_s: float = 1.0,
    summary_tries: int = 1,
    before_confirm=None,
) -> CreateFlow:
    """Ask for an order, then confirm it; re-confirm (up to ``confirm_tries``) while the bot has not
    named a bill number, as a user told "not sure it was written, confirm again" would. A turn waits
    for the first reply (or ``timeout_s`` when none comes, e.g. while the action server is down)."""
    import time

    flow = CreateFlow(slot, request)
    for _ in range(summary_tries):
        flow.summary = chat.ask(slot, request.text, timeout_s=timeout_s, settle_s=SETTLE_S)
        if is_summary(flow.summary.replies):
            break
    if flow.summary is None or not is_summary(flow.summary.replies):
        return flow
    if before_confirm is not None:
        before_confirm()
    for attempt in range(confirm_tries):
        if attempt:
            time.sleep(retry_pause_s)
            flow.refresh(chat)
            if flow.is_done:
                break
        turn = chat.ask(slot, request.yes, timeout_s=timeout_s, settle_s=SETTLE_S)
        flow.confirms.append(turn)
        if flow.is_done:
            break
    return flow
