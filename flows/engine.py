"""The flow engine: walks a flow's steps, validates answers, and says what to reply. No I/O of its own.

A flow is data (`Flow` of `Step`s). The engine takes the conversation's state and a message and returns a
`Turn`: the new state, the replies (catalogue keys with parameters), and whether the flow is finished.
The caller stores the state, renders the replies in the contact's language, and writes the records.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from flows.keywords import normalise

MAX_MISSES = 3


class AnswerKind(StrEnum):
    """How a step validates its answer."""

    CHOICE = "choice"  # a number from the list, or one of the choice's words
    TEXT = "text"  # any non-empty text up to max_length
    PLACE = "place"  # "1" keeps the default place, anything else is the place


@dataclass(frozen=True)
class Choice:
    """One option of a choice step: its stored value and the words that also select it."""

    value: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One question of a flow."""

    key: str  # where the answer goes in the flow's data
    prompt: str  # catalogue key of the question
    kind: AnswerKind
    choices: tuple[Choice, ...] = ()
    max_length: int = 500
    default_param: str | None = None  # context value offered as the default answer (PLACE steps)
    prompt_without_default: str | None = None
    label_prefix: str = ""  # catalogue prefix of the choices' button labels ("category." + value)


@dataclass(frozen=True)
class Flow:
    """A conversation: its steps, asked in order, skipping those whose answer is already known."""

    name: str
    steps: tuple[Step, ...]

    def step(self, key: str) -> Step:
        """The step that stores `key`."""
        return next(s for s in self.steps if s.key == key)


@dataclass(frozen=True)
class Reply:
    """A text to send: a catalogue key and its parameters, and the choices a channel may show as buttons
    (catalogue key of the label, data the button sends back — the same as typing it)."""

    key: str
    params: dict = field(default_factory=dict)
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class State:
    """Where a conversation stands; stored between messages (see `to_dict`/`from_dict`)."""

    flow: str
    step: str | None
    data: dict = field(default_factory=dict)
    misses: int = 0
    record_id: int | None = None  # the record the flow fills in (e.g. the alert), once it exists

    def to_dict(self) -> dict:
        """A JSON-ready form."""
        return {
            "flow": self.flow,
            "step": self.step,
            "data": self.data,
            "misses": self.misses,
            "record": self.record_id,
        }

    @classmethod
    def from_dict(cls, raw: dict) -> State:
        """Rebuild a state from `to_dict`'s output."""
        return cls(raw["flow"], raw.get("step"), dict(raw.get("data") or {}), raw.get("misses", 0), raw.get("record"))


class Outcome(StrEnum):
    """Whether the flow waits for an answer, finished, or gave up after too many misses."""

    WAITING = "waiting"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Turn:
    """The engine's answer to one message."""

    state: State
    outcome: Outcome
    replies: tuple[Reply, ...] = ()
    accepted: bool = False  # the message was a valid answer that changed the data


def _next_step(flow: Flow, data: dict, after: str | None) -> Step | None:
    keys = [s.key for s in flow.steps]
    start = keys.index(after) + 1 if after is not None else 0
    return next((s for s in flow.steps[start:] if s.key not in data), None)


def _prompt(step: Step, context: dict) -> Reply:
    default = context.get(step.default_param) if step.default_param else None
    if step.default_param and not default:
        return Reply(step.prompt_without_default or step.prompt)
    choices: tuple[tuple[str, str], ...] = ()
    if step.kind is AnswerKind.CHOICE:
        choices = tuple((f"{step.label_prefix}{c.value}", str(i)) for i, c in enumerate(step.choices, 1))
    return Reply(step.prompt, {step.default_param: default} if default else {}, choices)


def start(flow: Flow, data: dict | None = None, context: dict | None = None) -> Turn:
    """Begin a flow, skipping the steps whose answers `data` already holds."""
    data = dict(data or {})
    step = _next_step(flow, data, None)
    state = State(flow.name, step.key if step else None, data)
    if step is None:
        return Turn(state, Outcome.COMPLETED)
    return Turn(state, Outcome.WAITING, (_prompt(step, context or {}),))


def validate(step: Step, text: str, context: dict) -> tuple[object, Reply | None]:
    """The value of an answer, or None and the hint to send."""
    raw = (text or "").strip()
    word = normalise(raw)
    if step.kind is AnswerKind.CHOICE:
        first = word.split(" ", 1)[0] if word else ""
        if first.isdigit() and 1 <= int(first) <= len(step.choices):
            return step.choices[int(first) - 1].value, None
        for choice in step.choices:
            if word in choice.words or first in choice.words:
                return choice.value, None
        return None, Reply("hint.choice", {"max": len(step.choices)})
    if step.kind is AnswerKind.PLACE:
        default = context.get(step.default_param) if step.default_param else None
        if default and word in ("1", "oui", "yes", "ok"):
            return default, None
    if not raw:
        return None, Reply("hint.text")
    if len(raw) > step.max_length:
        return None, Reply("hint.text_too_long", {"max": step.max_length})
    return raw, None


def reprompt(flow: Flow, state: State, context: dict | None = None) -> tuple[Reply, ...]:
    """The current question again (after a message that answered nothing, e.g. a shared location)."""
    return (_prompt(flow.step(state.step), context or {}),) if state.step else ()


def answer(flow: Flow, state: State, text: str, context: dict | None = None) -> Turn:
    """Apply one message to a waiting flow."""
    context = context or {}
    step = flow.step(state.step)
    value, hint = validate(step, text, context)
    if hint is not None:
        misses = state.misses + 1
        missed = replace(state, misses=misses)
        if misses >= MAX_MISSES:
            return Turn(missed, Outcome.ABANDONED)
        return Turn(missed, Outcome.WAITING, (hint, _prompt(step, context)))
    data = {**state.data, step.key: value}
    following = _next_step(flow, data, step.key)
    new_state = replace(state, step=following.key if following else None, data=data, misses=0)
    if following is None:
        return Turn(new_state, Outcome.COMPLETED, accepted=True)
    return Turn(new_state, Outcome.WAITING, (_prompt(following, context),), accepted=True)
