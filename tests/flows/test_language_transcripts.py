"""Leaders in their languages, as transcripts: a `bm` leader reads the Bambara texts a speaker reviewed and French for
the rest (never an unreviewed draft); a reviewed text whose French changed falls back too; `LANGUE BM` / `LANGUE FR`
by SMS answers in the new language; the admin's change on the console's contact page takes effect at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from flows import catalogue
from gateway.catalogues import review
from gateway.core.runtime import catalogue_folder
from gateway.models import Contact
from tests.chat import Chat
from tests.gateway.console.contacts_support import form_post
from tests.staff_users import logged_in

pytestmark = pytest.mark.usefixtures("directory")
MOUSSA = "+22365598143"  # Moussa Dicko, leader at Mopti (MOPTI), Bambara, SMS in the sample
DJENEBA = "+22390837572"  # Djénéba Bocoum, leader at Fatoma (MOPTI), French, SMS
REPORT = "Les jeunes et les gendarmes se disputent au marché"
FRENCH_HELP = (
    "ALERTE: signaler un incident. ALERTE 3 + texte: urgence. ANNULER: arreter. STOP: ne plus recevoir nos "
    "messages. START: les recevoir à nouveau."
)


@pytest.fixture
def env(base_env):
    """Each alert of a transcript stays its own."""
    return {**base_env, "ALERT_MERGE_SECONDS": "0"}


@pytest.fixture(autouse=True)
def no_imports_after():
    """The catalogue's instance folder belongs to the test that set it."""
    yield
    catalogue.use_folder(None)


def review_drafts(runtime, language: str, *keys: str, french: dict[str, str] | None = None) -> None:
    """A speaker approves the shipped drafts of `keys` (against `french`, by default the French as it is now), as
    `gateway catalogue import` writes them."""
    french = french or catalogue.load("fr")
    drafts = catalogue.entries(language)
    entries = {
        key: catalogue.Entry(drafts[key].text, True, catalogue.source_hash(french[key])) for key in keys
    }  # fmt: skip
    review.write(catalogue_folder(runtime.settings), language, entries)


def language_of(runtime, phone: str) -> str:
    with runtime.db.transaction() as session:
        return session.scalar(select(Contact.language).where(Contact.phone == phone))


def ref_in(replies: list[str]) -> str:
    return re.search(r"#(\d+)", replies[0]).group(1)


def test_a_bambara_leader_reads_reviewed_bambara_and_french_for_the_rest(runtime):
    review_drafts(runtime, "bm", "report.received", "alert.oneshot")
    moussa = Chat(runtime, MOUSSA)

    replies = moussa.send(REPORT)
    ref = ref_in(replies)
    assert replies == [f"Cikan sòròla #{ref}. I ni ce, nyèmògò dò bèna a kalan. Alerte kama, ALERTE ci."]

    assert moussa.send("AIDE") == [FRENCH_HELP], "the Bambara help is a draft nobody reviewed: French"

    replies = moussa.send("ALERTE 3 des hommes armés au marché de Mopti")
    ref = ref_in(replies)
    assert replies == [f"Alerte #{ref} sèbènna, a juguya 3. I ni ce, a cira."]

    replies = moussa.send("ALERTE des hommes armés au marché")
    ref = ref_in(replies)
    assert replies == [f"Alerte #{ref} enregistrée. Merci, elle est transmise."], "unrated: not reviewed, French"


def test_a_french_leader_is_not_touched_by_bambara_reviews(runtime):
    review_drafts(runtime, "bm", "report.received")
    replies = Chat(runtime, DJENEBA).send(REPORT)
    assert replies == [
        f"Message recu #{ref_in(replies)}. Merci, un facilitateur va le lire. Pour une alerte, envoyez ALERTE."
    ]


def test_a_review_of_an_older_french_text_is_not_sent(runtime):
    older = dict(catalogue.load("fr"), **{"report.received": "Message reçu #{ref}. Merci."})
    review_drafts(runtime, "bm", "report.received", french=older)
    assert not catalogue.is_reviewed("bm", "report.received")
    replies = Chat(runtime, MOUSSA).send(REPORT)
    assert replies[0].startswith("Message recu #"), replies


def test_nothing_reviewed_means_french_everywhere(runtime):
    moussa = Chat(runtime, MOUSSA)
    replies = moussa.send(REPORT)
    assert replies == [
        f"Message recu #{ref_in(replies)}. Merci, un facilitateur va le lire. Pour une alerte, envoyez ALERTE."
    ]
    assert not any(catalogue.is_reviewed(lang, "help") for lang in ("bm", "ff"))
    assert catalogue.is_reviewed("fr", "help") and catalogue.is_reviewed("en", "help")


def test_langue_by_sms_switches_and_answers_in_the_new_language(runtime):
    review_drafts(runtime, "bm", "language.done", "report.received")
    djeneba = Chat(runtime, DJENEBA)

    assert djeneba.send("LANGUE") == [
        "Pour choisir la langue: LANGUE FR (francais), LANGUE BM (bambara), LANGUE FF (fulfulde), LANGUE EN (anglais)."
    ]
    assert language_of(runtime, DJENEBA) == "fr"

    assert djeneba.send("Langue BM") == [
        "Kan sugandira: bamanankan. Cikan minnu ma bamanankan na fòlò, olu bè tubabukan na."
    ]  # fmt: skip
    assert language_of(runtime, DJENEBA) == "bm"
    replies = djeneba.send(REPORT)
    assert replies == [f"Cikan sòròla #{ref_in(replies)}. I ni ce, nyèmògò dò bèna a kalan. Alerte kama, ALERTE ci."]

    assert djeneba.send("ɗemngal fulfulde") == [
        "Langue choisie: fulfulde. Les messages pas encore traduits restent en francais."
    ], "Fulfulde has no reviewed text yet: the French one, naming the language"
    assert language_of(runtime, DJENEBA) == "ff"

    assert djeneba.send("LANGUE EN") == ["Language chosen: English. Messages not yet translated stay in French."]
    assert djeneba.send("LANGUE FR") == [
        "Langue choisie: francais. Les messages pas encore traduits restent en francais."
    ]  # fmt: skip
    assert language_of(runtime, DJENEBA) == "fr"

    replies = djeneba.send("La langue des jeunes au marché devient dure")
    assert replies[0].startswith("Message recu #") and language_of(runtime, DJENEBA) == "fr", (
        "a sentence, not a setting"
    )


def test_the_admin_sets_a_language_on_the_contact_page(runtime, app):
    review_drafts(runtime, "bm", "report.received")
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == DJENEBA).values(language="fr"))
        contact = session.scalars(select(Contact).where(Contact.phone == DJENEBA)).one()
        form = {"name": contact.name, "phone": contact.phone, "role": contact.role, "district": "MOPTI",
                "commune": contact.commune or "", "village": contact.village or "", "language": "bm",
                "channel": contact.channel, "escalation_level": ""}  # fmt: skip
        path = f"/console/contacts/{contact.id}"
    admin = logged_in(runtime, app, "admin")
    assert form_post(admin, path + "/edit", form, token_from=path).status_code == 302
    assert language_of(runtime, DJENEBA) == "bm"
    page = admin.get(path).get_data(as_text=True)
    total = len(catalogue.load("fr"))
    assert f"1 textes sur {total} relus dans cette langue, les autres partent en français" in page
    replies = Chat(runtime, DJENEBA).send(REPORT)
    assert replies == [f"Cikan sòròla #{ref_in(replies)}. I ni ce, nyèmògò dò bèna a kalan. Alerte kama, ALERTE ci."]


def test_an_unreadable_import_falls_back_to_french_instead_of_failing(runtime):
    review_drafts(runtime, "bm", "report.received")
    (catalogue_folder(runtime.settings) / "bm.json").write_text('{"report.received": {"text": "Cikan', encoding="utf-8")
    replies = Chat(runtime, MOUSSA).send(REPORT)
    assert replies == [
        f"Message recu #{ref_in(replies)}. Merci, un facilitateur va le lire. Pour une alerte, envoyez ALERTE."
    ]
