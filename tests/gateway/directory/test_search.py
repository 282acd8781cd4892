"""The directory as staff read it (gateway.directory.search): the scope in the query, and who answered none of
the last N meeting notices of their district."""

from __future__ import annotations

from sqlalchemy import select

from gateway.directory.search import scoped_contacts, silent_contact_ids
from gateway.models import District
from gateway.staff.roles import StaffRole
from gateway.staff.scope import Scope
from tests.gateway.directory.search_support import meetings_with_answers


def test_silent_contacts_answered_none_of_the_last_notices(runtime, directory):
    silent, others = meetings_with_answers(runtime, "KORO", 3)
    with runtime.db.sessions() as db:
        assert silent_contact_ids(db, 3) == silent
        assert silent_contact_ids(db, 5) == set(), "fewer than 5 meetings: nobody missed 5 notices"
        # The last meeting alone: the fourth leader (invited to it, silent) joins; the third answered it.
        assert silent_contact_ids(db, 1) == silent | {max(others)}
        koro = db.scalar(select(District.id).where(District.code == "KORO"))
        macina = db.scalar(select(District.id).where(District.code == "MACINA"))
        assert silent_contact_ids(db, 3, {koro}) == silent
        assert silent_contact_ids(db, 3, {macina}) == set()


def scope(role: str, region: str | None = None, district: str | None = None, district_id: int | None = None) -> Scope:
    return Scope(1, "x@example.org", "X", StaffRole(role), region, district_id, district)


def test_scopes_in_the_query(runtime, directory):
    with runtime.db.sessions() as db:
        codes = {d.id: d.code for d in db.scalars(select(District))}
        koro_id = next(i for i, c in codes.items() if c == "KORO")

        def seen(s: Scope) -> set:
            contacts = db.scalars(scoped_contacts(db, s))
            return {(codes.get(c.district_id), c.region if c.district_id is None else None) for c in contacts}

        everyone = seen(scope("admin"))
        assert (None, "Mopti") in everyone and (None, None) in everyone
        mopti = seen(scope("coordinator", region="MOPTI"))
        assert {code for code, _ in mopti} == {"MOPTI", "KORO", "BANKASS", "BANDIAGARA", "DJENNE", None}
        assert (None, "Mopti") in mopti and (None, "Ségou") not in mopti and (None, None) not in mopti
        assert seen(scope("facilitator", district="KORO", district_id=koro_id)) == {("KORO", None)}
        assert seen(scope("observer")) == set()
        assert seen(scope("officer")) == set(), "a district role without its district sees nothing"
