import pytest

from rasa_project.ordering.states import (
    DRAFT_TRANSITIONS,
    FINAL_STATES,
    TRANSITIONS,
    Change,
    Draft,
    DraftEvent,
    Event,
    IllegalTransition,
    next_draft_state,
    next_state,
)

LEGAL = [
    (Change.REQUESTED, Event.CHECKS_PASSED, Change.CHECKED),
    (Change.REQUESTED, Event.RULE_BROKEN, Change.REFUSED),
    (Change.CHECKED, Event.NEEDS_APPROVAL, Change.PENDING_APPROVAL),
    (Change.CHECKED, Event.CONFIRM, Change.APPLYING),
    (Change.CHECKED, Event.CANCEL, Change.CANCELLED),
    (Change.CHECKED, Event.EXPIRE, Change.EXPIRED),
    (Change.CHECKED, Event.RULE_BROKEN, Change.REFUSED),
    (Change.PENDING_APPROVAL, Event.APPROVE, Change.APPROVED),
    (Change.PENDING_APPROVAL, Event.REJECT, Change.REJECTED),
    (Change.PENDING_APPROVAL, Event.EXPIRE, Change.EXPIRED),
    (Change.PENDING_APPROVAL, Event.CANCEL, Change.CANCELLED),
    (Change.APPROVED, Event.APPLY, Change.APPLYING),
    (Change.APPROVED, Event.RULE_BROKEN, Change.REFUSED),
    (Change.APPLYING, Event.APPLIED, Change.APPLIED),
    (Change.APPLYING, Event.APPLY_FAILED, Change.FAILED),
    (Change.APPLYING, Event.RETRY, Change.APPLYING),
    (Change.APPLYING, Event.RULE_BROKEN, Change.REFUSED),
]


@pytest.mark.parametrize("state,event,expected", LEGAL)
def test_legal_transition_reaches_expected_state(state, event, expected):
    assert next_state(state, event) is expected


def test_table_holds_exactly_the_documented_transitions():
    assert {(s, e): t for s, e, t in LEGAL} == TRANSITIONS


@pytest.mark.parametrize(
    "state,event",
    [
        (Change.REQUESTED, Event.APPROVE),  # nothing to approve before the checks
        (Change.CHECKED, Event.APPROVE),  # a low-risk change is confirmed by its requester, not approved
        (Change.PENDING_APPROVAL, Event.CONFIRM),  # the requester cannot bypass the manager
        (Change.PENDING_APPROVAL, Event.APPLY),
        (Change.APPROVED, Event.APPROVE),  # decided once
        (Change.APPROVED, Event.REJECT),
        (Change.REJECTED, Event.APPROVE),
        (Change.EXPIRED, Event.APPROVE),
        (Change.APPLIED, Event.APPLIED),
        (Change.REFUSED, Event.CHECKS_PASSED),
        (Change.CANCELLED, Event.CONFIRM),
    ],
)
def test_illegal_transition_raises(state, event):
    with pytest.raises(IllegalTransition) as info:
        next_state(state, event)
    assert (info.value.state, info.value.event) == (state, event)


@pytest.mark.parametrize("state", sorted(FINAL_STATES, key=lambda s: s.value))
def test_final_states_have_no_way_out(state):
    assert state.is_final
    assert not [e for (s, e) in TRANSITIONS if s is state]
    for event in Event:
        with pytest.raises(IllegalTransition):
            next_state(state, event)


def test_every_open_state_can_still_end():
    for state in Change:
        if state.is_open:
            assert any(s is state for (s, _e) in TRANSITIONS), state


@pytest.mark.parametrize(
    "state,event,expected",
    [
        (Draft.DRAFT, DraftEvent.CONFIRM, Draft.CONFIRMED),
        (Draft.DRAFT, DraftEvent.CANCEL, Draft.CANCELLED),
        (Draft.CONFIRMED, DraftEvent.WRITTEN, Draft.WRITTEN),
        (Draft.CONFIRMED, DraftEvent.WRITE_REJECTED, Draft.DRAFT),
    ],
)
def test_draft_transitions(state, event, expected):
    assert next_draft_state(state, event) is expected


@pytest.mark.parametrize(
    "state,event",
    [
        (Draft.WRITTEN, DraftEvent.CANCEL),  # a written order is not undone by cancelling its draft
        (Draft.WRITTEN, DraftEvent.CONFIRM),
        (Draft.CANCELLED, DraftEvent.CONFIRM),
        (Draft.CONFIRMED, DraftEvent.CANCEL),
        (Draft.DRAFT, DraftEvent.WRITTEN),
    ],
)
def test_illegal_draft_transitions_raise(state, event):
    assert (state, event) not in DRAFT_TRANSITIONS
    with pytest.raises(IllegalTransition):
        next_draft_state(state, event)
