"""`gateway card`: the PDF's own text, read back with pdftotext, is what the gateway understands. Each page's
examples are sent by a KORO leader reading that language, through the real pipeline (tests/chat.py), and each does
what the card says: an urgent alert, a meeting answer, the help text, the opt-out. Bad input: one line, exit 1."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from flows import catalogue
from gateway.cards import content
from gateway.cards.render import EXAMPLE_MARK
from gateway.cli import main
from gateway.meetings.service import create_meeting
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Alert, Contact, District, Invitation, utcnow
from tests.chat import Chat

NUMBER = "+223 70 00 00 00"
BOT = "dialogue_mopti_bot"  # the fake Telegram's getMe username

pytestmark = pytest.mark.usefixtures("restore_logging")


def missed_calls(url: str) -> dict[str, str]:
    """The settings that turn missed calls (CallGate) on."""
    return {"CALLGATE_URL": url, "CALLGATE_SIGNING_KEY": "k" * 16}


def make_card(env, tmp_path, *args: str, **extra: str):
    """Run `gateway card` for KORO; the result and the PDF's path."""
    out = tmp_path / "card.pdf"
    result = CliRunner().invoke(main, ["card", "--district", "koro", "--out", str(out), *args], env={**env, **extra})
    return result, out


def page_texts(pdf) -> list[str]:
    """The text of each page, as pdftotext reads it."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def examples_on(page: str) -> list[str]:
    """The example lines of a page (each starts with the mark), as a leader would type them."""
    return [line.strip()[1:].strip() for line in page.splitlines() if line.strip().startswith(EXAMPLE_MARK)]


def said(language: str, key: str, **params) -> str:
    """A catalogue text as the SMS channel sends it (GSM-7: `â` becomes `a`)."""
    return to_gsm7(catalogue.text(language, key, **params))


def koro_leaders(runtime, count: int) -> list[Contact]:
    """KORO leaders reached by SMS."""
    with runtime.db.transaction() as session:
        query = select(Contact).join(District).where(District.code == "KORO", Contact.role == "leader",
                                                     Contact.channel == "sms").order_by(Contact.id)  # fmt: skip
        return list(session.scalars(query).all()[:count])


def test_every_example_on_every_page_does_what_the_card_says(env, runtime, directory, tmp_path):
    result, pdf = make_card(env, tmp_path, "--number", NUMBER, "--telegram", "@" + BOT)
    assert result.exit_code == 0, result.output
    pages = page_texts(pdf)
    assert len(pages) == 2, "French, then English (the reviewed languages)"
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        meeting_ref = create_meeting(session, runtime, district=koro, starts_at=utcnow() + timedelta(days=3),
                                     place="Mairie de Koro").meeting_id  # fmt: skip
    for page, language, leader in zip(pages, ("fr", "en"), koro_leaders(runtime, 2), strict=True):
        assert catalogue.text(language, "card.title", district="Koro") in page
        assert NUMBER in page and "@" + BOT in page
        alert, yes, help_, stop = examples_on(page)
        with runtime.db.transaction() as session:
            session.get(Contact, leader.id).language = language
        chat = Chat(runtime, leader.phone)

        [reply] = chat.send(alert)
        with runtime.db.transaction() as session:
            [found] = session.scalars(select(Alert).where(Alert.reporter_id == leader.id)).all()
            assert found.severity == 3
            assert reply == said(language, "alert.oneshot", ref=found.id, severity=3)

        assert re.fullmatch(r"\S+ 12", yes), yes
        [reply] = chat.send(yes.replace("12", str(meeting_ref)))  # the card's example number, a real meeting
        with runtime.db.transaction() as session:
            invitation = session.scalar(select(Invitation).where(Invitation.contact_id == leader.id))
            assert invitation.meeting_id == meeting_ref and invitation.answer is True
        assert reply.startswith(said(language, "meeting.answer_yes", ref=meeting_ref, when="").split("(")[0])

        assert chat.send(help_) == [said(language, "help")]
        assert chat.send(stop) == [said(language, "stop.done")]
        with runtime.db.transaction() as session:
            assert session.get(Contact, leader.id).opted_out


def test_missed_calls_line_only_when_callgate_is_on(env, directory, tmp_path):
    result, pdf = make_card(env, tmp_path, "--number", NUMBER)
    assert result.exit_code == 0, result.output
    assert catalogue.text("fr", "card.missed_call") not in page_texts(pdf)[0]
    assert "Telegram" not in page_texts(pdf)[0], "no bot configured: no Telegram line"
    result, pdf = make_card(env, tmp_path, "--number", NUMBER, **missed_calls("http://127.0.0.1:8084"))
    assert result.exit_code == 0, result.output
    fr, en = page_texts(pdf)
    assert "Bipez ce numéro pour être rappelé" in fr and catalogue.text("en", "card.missed_call") in en


def test_the_bot_name_comes_from_telegram_and_the_number_from_twilio(env, directory, tmp_path, fake_telegram):
    extra = {**fake_telegram.env(), "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "x" * 32,
             "TWILIO_FROM_NUMBER": "+22370000001"}  # fmt: skip
    result, pdf = make_card(env, tmp_path, **extra)
    assert result.exit_code == 0, result.output
    assert "@" + BOT in page_texts(pdf)[0] and "+22370000001" in page_texts(pdf)[0]


def test_one_language_asked_gives_french_and_that_one(env, directory, tmp_path):
    result, pdf = make_card(env, tmp_path, "--number", NUMBER, "--language", "en")
    assert result.exit_code == 0 and len(page_texts(pdf)) == 2
    result, pdf = make_card(env, tmp_path, "--number", NUMBER, "--language", "fr")
    assert result.exit_code == 0 and len(page_texts(pdf)) == 1


def test_an_unreviewed_language_stays_off_the_card(env, directory, tmp_path, monkeypatch):
    monkeypatch.setattr(content, "is_reviewed", lambda language, key: language == "fr" or key != "card.after")
    result, pdf = make_card(env, tmp_path, "--number", NUMBER)
    assert result.exit_code == 0, result.output
    [page] = page_texts(pdf)
    assert "Les mots à envoyer" in page


def test_each_page_fits_one_a6_sheet(env, directory, tmp_path):
    result, pdf = make_card(env, tmp_path, "--number", NUMBER, "--telegram", BOT, **missed_calls("http://127.0.0.1:1"))
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"Pages:\s+2\b", info) and "297.638 x 419.528 pts" in info, info  # A6: 105 x 148 mm


@pytest.mark.parametrize(
    "args,extra,expected",
    [
        (("--district", "Nowhere", "--number", NUMBER), {}, "unknown district 'Nowhere'"),
        ((), {}, "give --number"),
        (("--number", NUMBER, "--language", "bm"), {}, "no reviewed card texts in 'bm'"),
        (
            ("--number", NUMBER),
            {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9"},
            "give --telegram",
        ),
    ],
    ids=["bad-district", "no-number", "unreviewed-language", "telegram-down"],
)
def test_bad_input_is_one_line_and_no_file(env, directory, tmp_path, args, extra, expected):
    result, pdf = make_card(env, tmp_path, *args, **extra)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.output
    assert not pdf.exists()


def test_out_must_be_a_pdf(env, directory, tmp_path):
    result = CliRunner().invoke(main, ["card", "--district", "koro", "--number", NUMBER, "--out",
                                       str(tmp_path / "card.png")], env=env)  # fmt: skip
    assert result.exit_code == 1 and "must be a .pdf" in result.output
