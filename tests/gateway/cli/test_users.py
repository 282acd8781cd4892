"""`gateway users add|list|disable|reset-password|token`: staff accounts from the server's shell. Bad input is one
`Error:` line, a non-zero exit and no change; no listing shows a password hash or a token; every change is in the
audit log with the actor `cli:<user>`."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.models import ApiToken, StaffUser
from gateway.staff.accounts import authenticate, find_user, user_for_token
from gateway.staff.sessions import session_user, start
from tests.processes import subprocess_env

PASSWORD = "correct horse battery"
ACTOR = f"cli:{getpass.getuser()}"
BOTH = ("--region", "Mopti", "--district", "KORO")
DISTRICTS = "BANDIAGARA, BANKASS, DJENNE, KORO, MACINA, MOPTI, SEGOU"


@pytest.fixture
def run(env, directory):
    """Invoke the real `gateway` command with the test environment; `input` is its stdin."""
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def add(run, email="Awa@Example.org", role="admin", *scope, password=PASSWORD, name="Awa Diallo"):
    return run("users", "add", email, "--name", name, "--role", role, *scope, "--password-stdin", input=password + "\n")


def audit(run) -> list[dict]:
    result = run("audit", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["audit"]
    assert all(set(row) == {"at", "actor", "action", "target", "detail"} for row in rows)
    return rows


def users(runtime) -> list[tuple]:
    with runtime.db.transaction() as session:
        rows = session.scalars(select(StaffUser).order_by(StaffUser.id))
        return [(u.email, u.role, u.region, u.district.code if u.district else None) for u in rows]


def one_error_line(result) -> str:
    """A refused command: non-zero exit, nothing on stdout, one `Error:` line on stderr, no traceback."""
    assert result.exit_code != 0 and result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0].removeprefix("Error: ")


def test_add_reads_the_password_from_stdin(run, runtime):
    result = add(run)
    assert result.exit_code == 0 and result.stdout == "account awa@example.org created: admin all districts\n"
    with runtime.db.transaction() as session:
        assert authenticate(session, "awa@example.org", PASSWORD).name == "Awa Diallo"
        assert PASSWORD not in find_user(session, "awa@example.org").password_hash


@pytest.mark.parametrize(
    ("role", "scope", "created"),
    [
        ("coordinator", ("--region", "segou"), "coordinator Ségou"),
        ("facilitator", ("--district", "koro"), "facilitator KORO"),
        ("officer", ("--district", "MACINA"), "officer MACINA"),
        ("observer", (), "observer all districts"),
    ],
)
def test_add_each_role_with_its_scope(run, runtime, role, scope, created):
    result = add(run, "staff@example.org", role, *scope)
    assert result.exit_code == 0 and result.stdout == f"account staff@example.org created: {created}\n"
    assert audit(run)[0]["detail"] == created


@pytest.mark.parametrize(
    ("role", "scope", "error"),
    [
        ("officer", (), "an officer works in one district: give --district"),
        ("facilitator", BOTH, "a facilitator has a district, not a region: drop --region"),
        ("coordinator", ("--district", "KORO"), "a coordinator works in one region: give --region"),
        ("coordinator", BOTH, "a coordinator covers a whole region: drop --district"),
        ("admin", ("--region", "Mopti"), "an admin covers every district: drop --region and --district"),
        ("observer", ("--district", "KORO"), "an observer covers every district: drop --region and --district"),
        ("officer", ("--district", "GAO"), f"unknown district 'GAO' (known: {DISTRICTS})"),
        ("coordinator", ("--region", "Kayes"), "unknown region 'Kayes' (known: Mopti, Ségou)"),
    ],
)  # fmt: skip
def test_a_bad_role_and_place_is_one_line_and_changes_nothing(run, runtime, role, scope, error):
    assert one_error_line(add(run, "staff@example.org", role, *scope)) == error
    assert users(runtime) == [] and audit(run) == []


def test_an_unknown_role_is_refused_by_the_option_itself(run, runtime):
    result = add(run, "staff@example.org", "root")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Invalid value for '--role': 'root' is not one of")
    assert users(runtime) == []


def test_a_short_password_a_taken_email_or_a_bad_email_is_refused(run, runtime):
    assert one_error_line(add(run, password="short")) == "the password must have at least 10 characters"
    assert users(runtime) == []
    add(run)
    assert one_error_line(add(run, "AWA@example.org ")) == "an account for awa@example.org exists already"
    assert one_error_line(add(run, "awa")) == "'awa' is not an email address"
    assert users(runtime) == [("awa@example.org", "admin", None, None)] and len(audit(run)) == 1


def test_without_password_stdin_and_no_terminal_it_says_what_to_do(run, runtime):
    result = run("users", "add", "awa@example.org", "--name", "Awa", "--role", "admin", input=PASSWORD + "\n")
    assert one_error_line(result) == "no terminal to type the password: give --password-stdin and pipe it in"
    assert users(runtime) == []


def token(run, email="awa@example.org", *extra) -> str:
    """A new token as `users token` prints it: alone on the last line of stdout."""
    result = run("users", "token", email, *extra)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [result.stdout.strip()], "stdout holds the token and nothing else"
    assert "shown once" in result.stderr
    return result.stdout.strip()


def owner(runtime, secret: str) -> str | None:
    with runtime.db.transaction() as session:
        return getattr(user_for_token(session, secret), "email", None)


def test_list_never_shows_a_hash_or_a_token(run, runtime):
    add(run)
    add(run, "seydou@example.org", "officer", "--district", "KORO", name="Seydou Traoré")
    secret = token(run, "seydou@example.org", "--label", "tableau")
    with runtime.db.transaction() as session:
        secrets = [u.password_hash for u in session.scalars(select(StaffUser))]
        secrets += [t.token_hash for t in session.scalars(select(ApiToken))] + [secret, secret[4:12]]
    table, as_json = run("users", "list"), run("users", "list", "--format", "json")
    columns = ["EMAIL", "NAME", "ROLE", "SCOPE", "CONTACT", "TWO_FACTOR", "TOKENS", "STATUS", "LAST_LOGIN"]
    assert table.stdout.splitlines()[0].split() == columns
    assert "seydou@example.org" in table.stdout.splitlines()[2] and "KORO" in table.stdout
    listed = json.loads(as_json.stdout)
    assert [(u["email"], u["role"], u["scope"], u["tokens"], u["status"]) for u in listed] == [
        ("awa@example.org", "admin", "all districts", 0, "active"),
        ("seydou@example.org", "officer", "KORO", 1, "active"),
    ]
    assert set(listed[0]) == {column.lower() for column in columns}
    for output in (table.output, as_json.output):
        assert not [s for s in secrets if s in output] and "scrypt" not in output


def test_list_with_no_accounts_says_how_to_create_one(run):
    assert run("users", "list").stdout == "no staff accounts yet (gateway users add EMAIL --name N --role admin)\n"
    assert json.loads(run("users", "list", "--format", "json").stdout) == []


def test_a_token_works_until_revoked_and_revoke_takes_a_label(run, runtime):
    add(run)
    dashboard, script = token(run, "awa@example.org", "--label", "dashboard"), token(run)
    assert dashboard.startswith("gwt_") and dashboard != script
    assert owner(runtime, dashboard) == owner(runtime, script) == "awa@example.org"
    result = run("users", "token", "AWA@example.org", "--revoke", "--label", "dashboard")
    assert result.exit_code == 0 and result.stdout == "1 token(s) of awa@example.org revoked\n"
    assert owner(runtime, dashboard) is None and owner(runtime, script) == "awa@example.org"
    assert run("users", "token", "awa@example.org", "--revoke").stdout == "1 token(s) of awa@example.org revoked\n"
    assert owner(runtime, script) is None


def test_disable_revokes_the_tokens_and_ends_logins(run, runtime):
    add(run)
    secrets = [token(run), token(run, "awa@example.org", "--label", "x")]
    cookie = {}
    with runtime.db.transaction() as session:
        start(cookie, find_user(session, "awa@example.org"), True)
    result = run("users", "disable", "awa@example.org")
    assert result.exit_code == 0 and result.stdout == "account awa@example.org disabled; 2 API token(s) revoked\n"
    assert [owner(runtime, s) for s in secrets] == [None, None]
    with runtime.db.transaction() as session:
        assert authenticate(session, "awa@example.org", PASSWORD) is None and session_user(session, cookie) is None
        assert all(t.revoked_at for t in session.scalars(select(ApiToken)))
    assert one_error_line(run("users", "disable", "awa@example.org")) == "awa@example.org is already disabled"
    assert one_error_line(run("users", "token", "awa@example.org")) == "awa@example.org is disabled"
    assert json.loads(run("users", "list", "--format", "json").stdout)[0]["status"] == "disabled"


def test_reset_password(run, runtime):
    add(run)
    cookie = {}
    with runtime.db.transaction() as session:
        start(cookie, find_user(session, "awa@example.org"), True)
    result = run("users", "reset-password", "awa@example.org", "--password-stdin", input="another long one\n")
    assert result.exit_code == 0 and result.stdout == "password of awa@example.org changed\n"
    with runtime.db.transaction() as session:
        assert authenticate(session, "awa@example.org", PASSWORD) is None
        assert authenticate(session, "awa@example.org", "another long one") is not None
        assert session_user(session, cookie) is None, "open sessions end"
    refused = run("users", "reset-password", "awa@example.org", "--password-stdin", input="short\n")
    assert one_error_line(refused) == "the password must have at least 10 characters"


@pytest.mark.parametrize("command", [("disable",), ("reset-password", "--password-stdin"), ("token",)])
def test_an_unknown_account_is_one_line(run, command):
    result = run("users", command[0], "nobody@example.org", *command[1:], input=PASSWORD + "\n")
    assert one_error_line(result) == "no account for 'nobody@example.org'"
    assert audit(run) == []


def test_every_change_is_audited_with_the_cli_actor(run, runtime):
    add(run)
    add(run, "seydou@example.org", "officer", "--district", "KORO")
    secret = token(run, "seydou@example.org", "--label", "dashboard")
    run("users", "token", "seydou@example.org", "--revoke", "--label", "dashboard")
    token(run, "seydou@example.org")
    run("users", "reset-password", "seydou@example.org", "--password-stdin", input="another long one\n")
    run("users", "disable", "seydou@example.org")
    run("users", "list")
    rows = audit(run)
    assert {row["actor"] for row in rows} == {ACTOR}
    assert [(row["action"], row["target"]) for row in rows] == [
        ("user_add", "awa@example.org"),
        ("user_add", "seydou@example.org"),
        ("token_issue", "seydou@example.org"),
        ("token_revoke", "seydou@example.org"),
        ("token_issue", "seydou@example.org"),
        ("user_password_reset", "seydou@example.org"),
        ("user_disable", "seydou@example.org"),
    ]
    details = [row["detail"] for row in rows]
    assert details[:2] == ["admin all districts", "officer KORO"] and details[3:] == [
        "1 token(s) dashboard",
        details[4],
        None,
        "1 token(s) revoked",
    ]
    assert details[2] == f"{secret[:10]}… dashboard" and secret not in json.dumps(rows)
    assert PASSWORD not in json.dumps(rows) and "another long one" not in json.dumps(rows)
    assert all(row["at"].startswith("20") for row in rows)


@pytest.mark.slow
def test_as_a_real_process_token_on_the_last_line_and_one_error_line(env, net_log, runtime, directory):
    def gateway(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "gateway", *args]
        environment = subprocess_env(env, net_log)
        return subprocess.run(command, env=environment, input=stdin, capture_output=True, text=True, timeout=60)

    created = gateway("users", "add", "awa@example.org", "--name", "Awa", "--role", "admin", "--password-stdin",
                      stdin=PASSWORD + "\n")  # fmt: skip
    assert created.returncode == 0, created.stderr
    printed = gateway("users", "token", "awa@example.org", "--label", "dashboard")
    assert printed.returncode == 0 and printed.stdout.splitlines()[-1].startswith("gwt_")
    assert owner(runtime, printed.stdout.splitlines()[-1]) == "awa@example.org"
    for args in (("--role", "officer"), ("--role", "facilitator", "--district", "GAO"), ("--role", "admin")):
        refused = gateway("users", "add", "seydou@example.org", "--name", "S", *args, "--password-stdin", stdin="x\n")
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 1 and len(lines) == 1 and lines[0].startswith("Error: "), refused.stderr
        assert "Traceback" not in refused.stdout + refused.stderr


OFFICER_KORO = "+22379678122"  # Seydou Traoré, KORO's duty officer in the sample directory
LEADER_KORO = "0022376972134"  # Abdoulaye Togo, a leader


def linked_contact(runtime, email: str) -> str | None:
    with runtime.db.transaction() as session:
        user = find_user(session, email)
        return user.contact.phone if user.contact else None


def test_an_account_is_linked_to_the_same_persons_directory_entry(run, runtime):
    result = add(run, "seydou@example.org", "officer", "--district", "KORO", "--contact", "79 67 81 22")
    assert result.exit_code == 0, result.output
    assert linked_contact(runtime, "seydou@example.org") == OFFICER_KORO, "any common form of the number"
    listed = json.loads(run("users", "list", "--format", "json").output)
    assert [row["contact"] for row in listed] == ["Seydou Traoré"] and OFFICER_KORO not in json.dumps(listed)
    assert run("users", "link", "seydou@example.org", "--unlink").exit_code == 0
    assert linked_contact(runtime, "seydou@example.org") is None
    assert run("users", "link", "seydou@example.org", "--contact", OFFICER_KORO).exit_code == 0
    assert linked_contact(runtime, "seydou@example.org") == OFFICER_KORO
    links = [row for row in audit(run) if row["action"] == "user_link"]
    assert [(r["actor"], r["target"], r["detail"]) for r in links] == [
        (ACTOR, "seydou@example.org", "none"),
        (ACTOR, "seydou@example.org", links[1]["detail"]),
    ] and links[1]["detail"].startswith("contact #")
    assert all(OFFICER_KORO not in (row["detail"] or "") for row in audit(run))


@pytest.mark.parametrize(
    "args, reason",
    [
        (("--contact", LEADER_KORO), "that contact is a leader: only an officer or a facilitator can be linked"),
        (("--contact", "+22370000001"), "no active directory contact with that phone number"),
        (("--contact", "12"), "'12': not a valid phone number"),
    ],
    ids=["a-leader", "not-in-directory", "not-a-number"],
)
def test_a_link_to_the_wrong_entry_is_refused_with_one_line(run, runtime, args, reason):
    assert add(run, "seydou@example.org", "officer", "--district", "KORO").exit_code == 0
    assert one_error_line(run("users", "link", "seydou@example.org", *args)) == reason
    assert linked_contact(runtime, "seydou@example.org") is None
    assert not [row for row in audit(run) if row["action"] == "user_link"]


def test_one_directory_entry_is_linked_to_one_account_only(run, runtime):
    assert add(run, "seydou@example.org", "officer", "--district", "KORO", "--contact", OFFICER_KORO).exit_code == 0
    refused = add(run, "other@example.org", "officer", "--district", "KORO", "--contact", OFFICER_KORO)
    assert one_error_line(refused) == "that contact is already linked to seydou@example.org"
    assert [u[0] for u in users(runtime)] == ["seydou@example.org"], "the refused account is not created either"


def test_link_takes_a_contact_or_unlink(run):
    assert add(run, "seydou@example.org", "officer", "--district", "KORO").exit_code == 0
    for args in ((), ("--contact", OFFICER_KORO, "--unlink")):
        result = run("users", "link", "seydou@example.org", *args)
        assert result.exit_code == 2 and "give either --contact PHONE or --unlink" in result.output
