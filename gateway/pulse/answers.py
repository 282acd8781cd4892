"""A leader's answer to the pulse (the `OPEN_QUESTIONS` step of flows/router.py): it belongs to the latest question
the leader got (or to the one of the week it quotes), a second answer replaces the first, a malformed one gets the
hint. A lone digit (`1`) could also answer a follow-up or a meeting: it goes to whichever question came last."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.pulse_answers import PulseAnswer, check_digits, parse
from gateway.alerts.followups import waiting_for
from gateway.meetings.service import pending_invitations
from gateway.models import (
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    PulseQuestion,
    PulseRound,
    utcnow,
)
from gateway.models import PulseAnswer as AnswerRow
from gateway.pulse.news import detect_news
from gateway.pulse.question import hint_text, week_number

MEETING_KINDS = (MessageKind.MEETING_NOTICE, MessageKind.MEETING_REMINDER)


def try_answer(inbound) -> bool:
    """Record a pulse answer from a leader who was asked; False when the message is not one (or is a lone digit
    meant for a question the leader got after the pulse)."""
    answer = parse(inbound.text)
    if answer is None:
        return False
    session, contact = inbound.session, inbound.contact
    questions = open_questions(session, contact.id)
    if not questions:
        return False
    if answer.single and _other_question_after(session, contact, questions[0]):
        return False
    question = _question_for(answer, questions)
    # The round's row is locked while its answers are counted: two leaders answering at once (PostgreSQL, two
    # workers) must each see the other's answer, or a majority made of both would never be noticed.
    round_id = question.round_id if question else questions[0].round_id
    pulse_round = session.scalars(select(PulseRound).where(PulseRound.id == round_id).with_for_update()).one()
    asked = pulse_round.services.split(",")
    answered = check_digits(answer, asked) if question else None
    if not answered:
        hint = hint_text(contact.language, pulse_round.week, pulse_round.commune, asked)
        inbound.reply_text(hint)
        return True
    record(session, inbound.runtime, pulse_round, contact.id, answered, inbound.message.id)
    inbound.reply("pulse.thanks", week=week_number(pulse_round.week), commune=pulse_round.commune)
    return True


def open_questions(session: Session, contact_id: int) -> list[PulseQuestion]:
    """The leader's pulse questions that reached them (not still held by the quiet hours), latest first."""
    return list(
        session.scalars(
            select(PulseQuestion)
            .join(Message, Message.id == PulseQuestion.message_id)
            .where(PulseQuestion.contact_id == contact_id)
            .where((Message.status != MessageStatus.QUEUED) | Message.next_attempt_at.is_(None))
            .order_by(PulseQuestion.id.desc())
            .limit(60)
        )
    )


def _question_for(answer: PulseAnswer, questions: list[PulseQuestion]) -> PulseQuestion | None:
    """The latest question, or the latest of the week the answer quotes (None: the leader got no such week)."""
    if answer.week is None:
        return questions[0]
    return next((q for q in questions if week_number(q.round.week) == answer.week), None)


def _other_question_after(session: Session, contact, question: PulseQuestion) -> bool:
    """True when a follow-up question or a meeting notice still awaiting an answer reached the leader after the
    pulse question: the lone digit answers that one (outbox ids grow with time)."""
    waiting = waiting_for(session, contact.id)
    if waiting and (waiting[0].question_id or 0) > (question.message_id or 0):
        return True
    if not pending_invitations(session, contact):
        return False
    latest_notice = session.scalar(
        select(func.max(Message.id)).where(
            Message.contact_id == contact.id, Message.direction == Direction.OUT, Message.kind.in_(MEETING_KINDS)
        )
    )
    return (latest_notice or 0) > (question.message_id or 0)


def record(session: Session, runtime, pulse_round: PulseRound, contact_id: int, answered, message_id: int) -> None:
    """Write (or replace) the leader's answer for each service, then tell the district what changed."""
    now = utcnow()
    existing = {
        row.service: row
        for row in session.scalars(
            select(AnswerRow).where(AnswerRow.round_id == pulse_round.id, AnswerRow.contact_id == contact_id)
        )
    }
    for service, presence in answered:
        row = existing.get(service)
        if row is None:
            row = AnswerRow(round_id=pulse_round.id, contact_id=contact_id, service=service)
            session.add(row)
        row.presence, row.message_id, row.answered_at = presence, message_id, now
    session.flush()
    for service, _presence in answered:
        detect_news(session, runtime, pulse_round, service)
