"""Staff accounts: creating one (email, role and scope checked against the directory), logging in, and API tokens
of which only a hash is kept."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from gateway.models import ApiToken, Base, StaffUser, utcnow
from gateway.staff.accounts import (
    AccountError,
    add_user,
    authenticate,
    find_user,
    issue_token,
    revoke_tokens,
    user_for_token,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def db(runtime, directory):
    """A function running `body(session)` in one committed transaction and returning what it returns."""

    def run(body):
        with runtime.db.transaction() as session:
            return body(session)

    return run


def add(db, email="awa@example.org", role="admin", region=None, district=None, password=PASSWORD, name="Awa"):
    """Create an account; its (email, role, region, district code)."""

    def body(session):
        user = add_user(session, email, name, role, region, district, password)
        return user.email, user.role, user.region, user.district.code if user.district else None

    return db(body)


def refusal(db, **kwargs) -> str:
    """The one-line reason an account is refused; nothing was created."""
    with pytest.raises(AccountError) as refused:
        add(db, **kwargs)
    assert db(lambda s: s.scalar(select(StaffUser).where(StaffUser.name == "Refused"))) is None
    return str(refused.value)


def test_email_is_stored_lower_case_without_spaces(db):
    assert add(db, email="  Awa.Diallo@Example.ORG ") == ("awa.diallo@example.org", "admin", None, None)
    assert db(lambda s: find_user(s, "AWA.DIALLO@example.org").email) == "awa.diallo@example.org"


@pytest.mark.parametrize("email", ["Awa@example.org", " awa@EXAMPLE.org"])
def test_a_taken_email_is_refused_whatever_its_case(db, email):
    add(db)
    assert refusal(db, email=email, name="Refused") == "an account for awa@example.org exists already"
    assert db(lambda s: len(s.scalars(select(StaffUser)).all())) == 1


@pytest.mark.parametrize("email", ["awa", "", "awa @example.org", "a" * 200 + "@example.org"])
def test_a_malformed_email_is_refused(db, email):
    assert refusal(db, email=email, name="Refused") == f"{email!r} is not an email address"


def test_name_and_password_are_required(db):
    assert refusal(db, name="  ") == "a name is required (--name)"
    assert refusal(db, name="Refused", password="short") == "the password must have at least 10 characters"


@pytest.mark.parametrize("district", ["KORO", "koro", " Koro "])
def test_a_district_is_matched_by_its_code_in_any_case(db, district):
    assert add(db, role="officer", district=district) == ("awa@example.org", "officer", None, "KORO")


def test_an_unknown_district_is_refused_naming_the_known_ones(db):
    assert refusal(db, name="Refused", role="facilitator", district="TOMBOUCTOU") == (
        "unknown district 'TOMBOUCTOU' (known: BANDIAGARA, BANKASS, DJENNE, KORO, MACINA, MOPTI, SEGOU)"
    )


@pytest.mark.parametrize(("given", "stored"), [("Ségou", "Ségou"), ("SEGOU", "Ségou"), ("segou", "Ségou"),
                                               ("mopti", "Mopti"), ("MÔPTI", "Mopti")])  # fmt: skip
def test_a_region_is_matched_without_case_or_accents_and_stored_as_in_the_directory(db, given, stored):
    assert add(db, role="coordinator", region=given) == ("awa@example.org", "coordinator", stored, None)


def test_an_unknown_region_is_refused_naming_the_known_ones(db):
    assert refusal(db, name="Refused", role="coordinator", region="Kayes") == (
        "unknown region 'Kayes' (known: Mopti, Ségou)"
    )


def test_a_bad_role_or_scope_is_refused_in_one_line(db):
    assert refusal(db, name="Refused", role="officer") == "an officer works in one district: give --district"
    assert refusal(db, name="Refused", role="root").startswith("unknown role 'root' (one of: admin,")


def test_the_password_is_stored_hashed(db):
    add(db)
    stored = db(lambda s: find_user(s, "awa@example.org").password_hash)
    assert stored.startswith("scrypt:") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("email", "password", "logged_in"),
    [
        ("awa@example.org", PASSWORD, True),
        ("AWA@example.org ", PASSWORD, True),
        ("awa@example.org", PASSWORD + "!", False),
        ("awa@example.org", PASSWORD.upper(), False),
        ("awa@example.org", "", False),
        ("nobody@example.org", PASSWORD, False),
        ("", "", False),
    ],
)
def test_authenticate(db, email, password, logged_in):
    add(db)
    user = db(lambda s: getattr(authenticate(s, email, password), "email", None))
    assert user == ("awa@example.org" if logged_in else None)


def test_a_disabled_account_or_one_without_a_password_cannot_log_in(db):
    add(db)
    add(db, email="sans@example.org", password=None)
    assert db(lambda s: authenticate(s, "sans@example.org", "")) is None
    db(lambda s: setattr(find_user(s, "awa@example.org"), "disabled_at", utcnow()))
    assert db(lambda s: authenticate(s, "awa@example.org", PASSWORD)) is None


def issue(db, email="awa@example.org", label=None) -> str:
    return db(lambda s: issue_token(s, find_user(s, email), label).secret)


def token_owner(db, secret: str) -> str | None:
    return db(lambda s: getattr(user_for_token(s, secret), "email", None))


def test_an_issued_token_identifies_its_user_and_is_marked_used(db):
    add(db)
    add(db, email="seydou@example.org", role="officer", district="KORO")
    secret, other = issue(db), issue(db, "seydou@example.org")
    assert secret.startswith("gwt_") and len(secret) > 40 and secret != other
    assert db(lambda s: s.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == 1))) is None
    assert (token_owner(db, secret), token_owner(db, other)) == ("awa@example.org", "seydou@example.org")
    assert db(lambda s: s.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == 1))) is not None


def test_only_the_tokens_hash_is_stored_the_secret_is_nowhere_in_the_database(db):
    add(db)
    secret = issue(db, label="tableau de bord")
    row = db(lambda s: s.scalar(select(ApiToken)))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(row.prefix) and len(row.prefix) < len(secret) // 3

    def every_value(session):
        return [
            str(value)
            for table in Base.metadata.sorted_tables
            for record in session.execute(text(f"SELECT * FROM {table.name}"))
            for value in record
        ]

    values = db(every_value)
    assert row.token_hash in values
    assert not [v for v in values if secret in v or secret[len(row.prefix) :] in v]


@pytest.mark.parametrize("forged", ["", "gwt_", "nope", "gwt_" + "x" * 43, "gwt_" + "x" * 400])
def test_a_forged_token_is_refused(db, forged):
    add(db)
    issue(db)
    assert token_owner(db, forged) is None


def test_a_token_with_one_character_changed_is_refused(db):
    add(db)
    secret = issue(db)
    assert token_owner(db, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert token_owner(db, secret + "x") is None and token_owner(db, secret) == "awa@example.org"


def test_a_revoked_token_is_refused(db):
    add(db)
    secret = issue(db)
    assert db(lambda s: revoke_tokens(s, find_user(s, "awa@example.org"))) == 1
    assert token_owner(db, secret) is None
    assert db(lambda s: revoke_tokens(s, find_user(s, "awa@example.org"))) == 0, "already revoked"


def test_a_disabled_users_token_is_refused_and_no_new_one_is_issued(db):
    add(db)
    secret = issue(db)
    db(lambda s: setattr(find_user(s, "awa@example.org"), "disabled_at", utcnow()))
    assert token_owner(db, secret) is None
    with pytest.raises(AccountError, match="^awa@example.org is disabled$"):
        issue(db)


def test_revoke_with_a_label_revokes_only_those_tokens(db):
    add(db)
    add(db, email="seydou@example.org", role="officer", district="KORO")
    dashboard, script = issue(db, label="dashboard"), issue(db, label="script")
    unlabelled, seydous = issue(db), issue(db, "seydou@example.org", label="dashboard")
    assert db(lambda s: revoke_tokens(s, find_user(s, "awa@example.org"), "dashboard")) == 1
    assert token_owner(db, dashboard) is None
    assert [token_owner(db, t) for t in (script, unlabelled)] == ["awa@example.org"] * 2
    assert token_owner(db, seydous) == "seydou@example.org", "another user's token with that label lives on"
    assert db(lambda s: revoke_tokens(s, find_user(s, "awa@example.org"))) == 2
    assert token_owner(db, script) is None and token_owner(db, unlabelled) is None
