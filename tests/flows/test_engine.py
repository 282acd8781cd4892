"""The flow engine on its own: data in, state and replies out, no I/O."""

from __future__ import annotations

from flows import engine
from flows.definitions import ALERT_FLOW
from flows.engine import Outcome, State

CONTEXT = {"place": "Kotaka"}


def test_start_asks_the_first_question_with_the_default_place():
    turn = engine.start(ALERT_FLOW, {}, CONTEXT)
    assert turn.outcome is Outcome.WAITING
    assert turn.state.step == "place"
    assert [(r.key, r.params) for r in turn.replies] == [("alert.where", {"place": "Kotaka"})]


def test_without_a_default_place_the_question_asks_for_one():
    turn = engine.start(ALERT_FLOW, {}, {"place": None})
    assert [r.key for r in turn.replies] == ["alert.where.nodefault"]
    assert engine.answer(ALERT_FLOW, turn.state, "1", {"place": None}).state.data["place"] == "1"


def test_prefilled_answers_are_skipped():
    turn = engine.start(ALERT_FLOW, {"severity": "3"}, CONTEXT)
    state = turn.state
    for text in ("1", "2"):
        state = engine.answer(ALERT_FLOW, state, text, CONTEXT).state
    assert state.step == "description"


def test_a_full_run_collects_every_answer():
    state = engine.start(ALERT_FLOW, {}, CONTEXT).state
    turns = []
    for text in ("Marché de Konna", "groupe armé", "urgent", "Des hommes armés sur des motos"):
        turn = engine.answer(ALERT_FLOW, state, text, CONTEXT)
        turns.append(turn)
        state = turn.state
    assert turns[-1].outcome is Outcome.COMPLETED
    assert state.data == {
        "place": "Marché de Konna",
        "category": "armed_group",
        "severity": "3",
        "description": "Des hommes armés sur des motos",
    }


def test_choice_by_number_and_by_word_are_equivalent():
    state = State("alert", "category", {"place": "x"})
    by_number = engine.answer(ALERT_FLOW, state, "7", CONTEXT).state.data["category"]
    by_word = engine.answer(ALERT_FLOW, state, "Rumeur", CONTEXT).state.data["category"]
    assert by_number == by_word == "rumour_hate"


def test_unexpected_answer_gets_a_hint_and_the_question_again():
    state = State("alert", "severity", {"place": "x", "category": "other"})
    turn = engine.answer(ALERT_FLOW, state, "9", CONTEXT)
    assert turn.outcome is Outcome.WAITING and not turn.accepted
    assert [(r.key, r.params) for r in turn.replies] == [("hint.choice", {"max": 3}), ("alert.severity", {})]
    assert turn.state.misses == 1 and turn.state.step == "severity"


def test_three_misses_end_the_conversation_keeping_what_it_has():
    state = State("alert", "severity", {"place": "x", "category": "other"})
    for _ in range(3):
        turn = engine.answer(ALERT_FLOW, state, "beaucoup", CONTEXT)
        state = turn.state
    assert turn.outcome is Outcome.ABANDONED
    assert state.data == {"place": "x", "category": "other"}


def test_a_good_answer_resets_the_miss_count():
    state = State("alert", "category", {"place": "x"}, misses=2)
    assert engine.answer(ALERT_FLOW, state, "1", CONTEXT).state.misses == 0


def test_empty_and_too_long_descriptions_are_refused():
    state = State("alert", "description", {"place": "x", "category": "other", "severity": "1"})
    assert engine.answer(ALERT_FLOW, state, "   ", CONTEXT).replies[0].key == "hint.text"
    assert engine.answer(ALERT_FLOW, state, "x" * 1001, CONTEXT).replies[0].key == "hint.text_too_long"


def test_state_survives_a_round_trip_through_storage():
    state = State("alert", "severity", {"place": "x"}, misses=1, record_id=42)
    assert State.from_dict(state.to_dict()) == state
