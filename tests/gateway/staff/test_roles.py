"""Which region/district each staff role takes (`check_scope`: accepted, or one line saying what is wrong), and
region names compared without regard to case or accents (`fold`)."""

from __future__ import annotations

import pytest

from gateway.staff.roles import BODY_ROLES, REVEAL_ROLES, ScopeError, StaffRole, check_scope, fold

OK = None
# role → {(region given, district given): None when accepted, else the one-line reason}
TABLE = {
    "admin": {
        (False, False): OK,
        (True, False): "an admin covers every district: drop --region and --district",
        (False, True): "an admin covers every district: drop --region and --district",
        (True, True): "an admin covers every district: drop --region and --district",
    },
    "observer": {
        (False, False): OK,
        (True, False): "an observer covers every district: drop --region and --district",
        (False, True): "an observer covers every district: drop --region and --district",
        (True, True): "an observer covers every district: drop --region and --district",
    },
    "coordinator": {
        (False, False): "a coordinator works in one region: give --region",
        (True, False): OK,
        (False, True): "a coordinator works in one region: give --region",
        (True, True): "a coordinator covers a whole region: drop --district",
    },
    "facilitator": {
        (False, False): "a facilitator works in one district: give --district",
        (True, False): "a facilitator works in one district: give --district",
        (False, True): OK,
        (True, True): "a facilitator has a district, not a region: drop --region",
    },
    "officer": {
        (False, False): "an officer works in one district: give --district",
        (True, False): "an officer works in one district: give --district",
        (False, True): OK,
        (True, True): "an officer has a district, not a region: drop --region",
    },
}
CASES = [(role, region, district, reason) for role, row in TABLE.items() for (region, district), reason in row.items()]


def test_the_table_covers_every_role():
    assert set(TABLE) == {r.value for r in StaffRole}


@pytest.mark.parametrize(("role", "region", "district", "reason"), CASES)
def test_check_scope(role, region, district, reason):
    args = (role, "Mopti" if region else None, "KORO" if district else None)
    if reason is OK:
        assert check_scope(*args) == StaffRole(role)
        return
    with pytest.raises(ScopeError) as refused:
        check_scope(*args)
    assert str(refused.value) == reason.replace("an officer", str(refused.value)[:9] if False else "an officer")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("region", ["", None])
def test_an_empty_region_or_district_counts_as_not_given(region):
    assert check_scope("admin", region, region) == StaffRole.ADMIN
    with pytest.raises(ScopeError):
        check_scope("officer", None, region)


@pytest.mark.parametrize("role", ["superuser", "Admin", "", "officer "])
def test_an_unknown_role_is_refused_naming_the_known_ones(role):
    with pytest.raises(ScopeError) as refused:
        check_scope(role, None, None)
    assert str(refused.value) == f"unknown role {role!r} (one of: admin, coordinator, facilitator, officer, observer)"


@pytest.mark.parametrize("spelling", ["Ségou", "SEGOU", "segou", " ségou ", "SÉGOU", "Se\u0301gou"])
def test_fold_matches_region_names_without_case_or_accents(spelling):
    assert fold(spelling) == fold("Ségou") == "segou"


def test_fold_keeps_different_names_apart():
    assert fold("Mopti") != fold("Ségou") and fold(None) == fold("") == ""


def test_who_may_reveal_and_who_reads_bodies():
    assert REVEAL_ROLES == {StaffRole.ADMIN, StaffRole.COORDINATOR}
    assert StaffRole.OBSERVER not in BODY_ROLES and set(StaffRole) - BODY_ROLES == {StaffRole.OBSERVER}
