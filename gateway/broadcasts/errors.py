"""Why a broadcast is refused: one code per reason, its HTTP status, and an English message for the API (the
console shows the same reason in French or English from its texts, `broadcasts.error.<code>`)."""

from __future__ import annotations

# code → (HTTP status, English message with {placeholders}).
REASONS = {
    "forbidden": (403, "your role may not send broadcasts (admin, coordinator and facilitator only)"),
    "out_of_scope": (403, "{field} {value!r} is outside your scope"),
    "unknown_district": (422, "unknown district {value!r}"),
    "unknown_region": (422, "unknown region {value!r}"),
    "unknown_commune": (422, "no contact lives in commune {value!r} in this selection"),
    "unknown_role": (422, "role is one of: {choices}"),
    "unknown_language": (422, "language is one of: {choices}"),
    "bad_field": (422, "{field} must be a text"),
    "empty_text": (422, "the text is empty"),
    "too_long": (422, "the text takes {segments} SMS segments; at most {limit} ({units} characters in GSM-7)"),
    "no_recipients": (422, "this selection reaches nobody (active contacts who have not opted out)"),
    "not_found": (404, "no such broadcast in your scope"),
}


class BroadcastError(ValueError):
    """A refused broadcast, selection or retry; nothing was written."""

    def __init__(self, code: str, **params) -> None:
        status, template = REASONS[code]
        super().__init__(template.format(**params))
        self.code, self.http_status, self.params = code, status, params

    @property
    def message(self) -> str:
        """The reason in English (the API's message)."""
        return str(self)
