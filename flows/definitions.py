"""The flows, as data: their steps, questions (catalogue keys), validation and order."""

from __future__ import annotations

from flows.engine import AnswerKind, Choice, Flow, Step

# Alert categories, in the order of the numbered list leaders see ("category.<value>" is the label).
CATEGORIES: tuple[Choice, ...] = (
    Choice("intercommunal_violence", ("violence", "communautes", "conflit", "bagarre")),
    Choice("armed_group", ("arme", "armee", "groupe arme", "jihadistes", "bandits", "armed")),
    Choice("security_forces", ("forces", "gendarmes", "militaires", "police", "fama", "security")),
    Choice("service_disruption", ("ecole", "sante", "service", "cscom", "school", "health")),
    Choice("displacement", ("deplaces", "deplacement", "fuite", "displaced")),
    Choice("land_livestock", ("terre", "champ", "betail", "animaux", "land", "livestock")),
    Choice("rumour_hate", ("rumeur", "haine", "rumour", "rumor", "hate")),
    Choice("other", ("autre", "other")),
)

SEVERITIES: tuple[Choice, ...] = (
    Choice("1", ("information", "info", "calme")),
    Choice("2", ("tension", "tendu", "tendue")),
    Choice("3", ("urgent", "urgence", "danger", "grave")),
)

ALERT_FLOW = Flow(
    name="alert",
    steps=(
        Step(
            key="place",
            prompt="alert.where",
            kind=AnswerKind.PLACE,
            default_param="place",
            prompt_without_default="alert.where.nodefault",
            max_length=120,
        ),
        Step(
            key="category",
            prompt="alert.category",
            kind=AnswerKind.CHOICE,
            choices=CATEGORIES,
            label_prefix="category.",
        ),
        Step(
            key="severity",
            prompt="alert.severity",
            kind=AnswerKind.CHOICE,
            choices=SEVERITIES,
            label_prefix="severity.",
        ),
        Step(key="description", prompt="alert.description", kind=AnswerKind.TEXT, max_length=1000),
    ),
)

FLOWS = {flow.name: flow for flow in (ALERT_FLOW,)}
