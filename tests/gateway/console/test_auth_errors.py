"""Errors under /console are HTML pages in the user's language; the rest of the app keeps its JSON errors."""

from __future__ import annotations


def test_an_unknown_console_page_is_an_html_404_in_the_users_language(client):
    french = client.get("/console/nowhere")
    assert french.status_code == 404 and french.mimetype == "text/html"
    assert "Page introuvable" in french.get_data(as_text=True)
    english = client.get("/console/nowhere", headers={"Accept-Language": "en"})
    assert "Page not found" in english.get_data(as_text=True)
    assert "Page not found" in client.get("/console/nowhere?lang=en").get_data(as_text=True)


def test_a_wrong_method_on_a_console_page_is_an_html_405(client):
    answer = client.put("/console/login")
    assert answer.status_code == 405 and answer.mimetype == "text/html"
    assert "Méthode non permise" in answer.get_data(as_text=True)


def test_errors_outside_the_console_stay_json(client):
    for path in ("/nowhere", "/consoles", "/webhooks/nowhere"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.is_json, path


def test_an_unexpected_error_in_the_console_is_an_html_500_without_the_detail(runtime, directory, client, monkeypatch):
    from gateway.console import desk
    from tests.gateway.console.desk_support import log_in, make_user

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret detail of the failure")

    log_in(client, make_user(runtime, "awa@example.org", "facilitator", district="KORO"))
    monkeypatch.setattr(desk, "inbox_data", broken)
    french = client.get("/console/")
    body = french.get_data(as_text=True)
    assert french.status_code == 500 and french.mimetype == "text/html"
    assert "Erreur interne" in body
    assert "secret detail" not in body and "Traceback" not in body and "RuntimeError" not in body
    english = client.get("/console/", headers={"Accept-Language": "en"})
    assert english.status_code == 500 and "Internal error" in english.get_data(as_text=True)
    assert client.get("/console/rows").status_code == 500  # the polled fragment too
