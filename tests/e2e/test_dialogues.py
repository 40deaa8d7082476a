"""Part of issue 13's dialogue suite in `make test`: every dialogue named in tests/dialogues/gate.txt
is played through the real channel against this session's stack (K/3 reset to the demo factory
before each batch, a fresh DingTalk group per dialogue) and must pass. The whole suite with its
report is `make dialogue-test` (docs/DIALOGUES.md). Runs last: it resets the shared K/3."""

import pytest

from devtools.dialogues.run import play_all
from devtools.dialogues.spec import load_all, read_gate
from devtools.factory import get_factory

pytestmark = pytest.mark.stack


def test_gate_dialogues_pass_through_the_real_channel(stack):
    _, settings = stack
    gate = read_gate()
    staff = {p.dingtalk_staff_id for p in get_factory().people}
    chosen = [d for d in load_all(known_staff=staff) if d.id in set(gate)]
    assert len(chosen) == len(gate), sorted(set(gate) - {d.id for d in chosen})
    if not chosen:
        return  # an empty gate checks nothing; test_format checks the ids it names
    outcomes = play_all(settings, chosen, concurrency=3, progress=lambda line: None)
    failed = {o.dialogue.id: (o.failures[0] if o.failures else o.error) for o in outcomes if not o.passed}
    assert not failed, failed
