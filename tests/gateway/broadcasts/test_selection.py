"""Who a selection reaches, per account: a facilitator only its district (none given means its district), a
coordinator only its region's districts, an admin anything; officers and observers may not broadcast. Unknown
names are 422, places outside the scope 403, a selection that reaches nobody 422."""

from __future__ import annotations

import pytest

from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.selection import parse_selection, resolve
from gateway.models import Contact
from tests.gateway.broadcasts.support import expected
from tests.staff_users import scope_of

MOPTI = {"BANDIAGARA", "BANKASS", "DJENNE", "KORO", "MOPTI"}
SEGOU = {"MACINA", "SEGOU"}

# (account, selection) → the districts and filters the recipients must match.
REACHES = [
    ("fac_koro", {}, {"districts": {"KORO"}}),
    ("fac_koro", {"district": "koro"}, {"districts": {"KORO"}}),
    ("fac_koro", {"region": "MOPTI"}, {"districts": {"KORO"}}),
    ("fac_koro", {"commune": "yoro"}, {"districts": {"KORO"}, "commune": "Yoro"}),
    ("fac_koro", {"language": "bm"}, {"districts": {"KORO"}, "language": "bm"}),
    ("fac_koro", {"role": "all"}, {"districts": {"KORO"}, "role": "all"}),
    ("fac_macina", {"role": "facilitator"}, {"districts": {"MACINA"}, "role": "facilitator"}),
    ("coord_mopti", {}, {"districts": MOPTI}),
    ("coord_mopti", {"district": "DJENNE"}, {"districts": {"DJENNE"}}),
    ("coord_mopti", {"region": "mopti"}, {"districts": MOPTI}),
    ("coord_segou", {"language": "ff"}, {"districts": SEGOU, "language": "ff"}),
    ("coord_segou", {"commune": "Ségou"}, {"districts": SEGOU, "commune": "Ségou"}),
    ("admin", {}, {}),
    ("admin", {"region": "Segou"}, {"districts": SEGOU}),
    ("admin", {"district": "MACINA", "language": "fr"}, {"districts": {"MACINA"}, "language": "fr"}),
    ("admin", {"role": "officer"}, {"role": "officer"}),
]


@pytest.mark.parametrize(("who", "fields", "match"), REACHES)
def test_a_selection_reaches_the_contacts_of_the_scope(runtime, directory, who, fields, match):
    with runtime.db.sessions() as session:
        reach = resolve(session, scope_of(runtime, who), parse_selection(fields))
        got = len(reach.contacts)
        assert all(c.active and not c.opted_out for c in reach.contacts)
    assert got == expected(directory, **match) > 0


# (account, selection) → (code, HTTP status).
REFUSALS = [
    ("officer_koro", {}, "forbidden", 403),
    ("observer", {}, "forbidden", 403),
    ("fac_koro", {"district": "MACINA"}, "out_of_scope", 403),
    ("fac_koro", {"region": "Ségou"}, "out_of_scope", 403),
    ("coord_mopti", {"district": "MACINA"}, "out_of_scope", 403),
    ("coord_mopti", {"region": "Segou"}, "out_of_scope", 403),
    ("fac_koro", {"district": "NOWHERE"}, "unknown_district", 422),
    ("admin", {"region": "Kayes"}, "unknown_region", 422),
    ("admin", {"commune": "Atlantis"}, "unknown_commune", 422),
    ("fac_koro", {"commune": "Macina"}, "unknown_commune", 422),  # another district's commune is unknown here
    ("admin", {"role": "chief"}, "unknown_role", 422),
    ("admin", {"language": "de"}, "unknown_language", 422),
    ("admin", {"district": ["KORO"]}, "bad_field", 422),
    ("admin", {"language": "en"}, "no_recipients", 422),  # nobody reads English in the sample directory
    ("admin", {"district": "KORO", "region": "Ségou"}, "no_recipients", 422),
]


@pytest.mark.parametrize(("who", "fields", "code", "status"), REFUSALS)
def test_a_selection_out_of_scope_or_unknown_is_refused(runtime, directory, who, fields, code, status):
    with runtime.db.sessions() as session, pytest.raises(BroadcastError) as refused:
        resolve(session, scope_of(runtime, who), parse_selection(fields))
    assert (refused.value.code, refused.value.http_status) == (code, status)
    assert refused.value.message


def test_opted_out_and_inactive_contacts_are_not_reached(runtime, directory):
    scope = scope_of(runtime, "fac_koro")
    with runtime.db.sessions() as session:
        before = [c.id for c in resolve(session, scope, parse_selection({})).contacts]
    with runtime.db.transaction() as session:
        session.get(Contact, before[0]).opted_out = True
        session.get(Contact, before[1]).active = False
    with runtime.db.sessions() as session:
        after = [c.id for c in resolve(session, scope, parse_selection({})).contacts]
    assert after == before[2:]


@pytest.mark.parametrize(
    ("who", "fields", "owner"),
    [
        ("fac_koro", {}, ("KORO", None)),
        ("coord_mopti", {}, (None, "Mopti")),
        ("coord_mopti", {"district": "KORO"}, ("KORO", None)),
        ("admin", {"region": "segou"}, (None, "Ségou")),
        ("admin", {"district": "MACINA"}, ("MACINA", None)),
        ("admin", {}, (None, None)),
    ],
)
def test_the_broadcast_belongs_to_the_scope_of_its_selection(runtime, directory, who, fields, owner):
    with runtime.db.sessions() as session:
        reach = resolve(session, scope_of(runtime, who), parse_selection(fields))
        district = reach.contacts[0].district.code if reach.district_id else None
        assert (district, reach.region) == owner
