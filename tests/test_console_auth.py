"""Console access: sign-in required everywhere, roles, CSRF, throttling, session cookie and security headers."""

import re

import pytest

from tests.conftest import STAFF_PASSWORD

PLACEHOLDERS = {
    "delivery_id": "t-1",
    "job_id": "job-1",
    "username": "someone",
    "action": "requeue",
    "locale": "es",
    "status": "completed",
}


def console_routes(app):
    """(method, path) of every console route, its variables filled in."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/console") or rule.endpoint in ("console.login", "console.language"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?(\w+)(?:\([^)]*\))?>", lambda m: PLACEHOLDERS[m.group(1)], rule.rule)
        path = re.sub(r"<any\([^)]*\):action>", "requeue", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def test_every_console_route_sends_strangers_to_the_login_page(app, client, csrf_token):
    token = csrf_token(client, "/console/login")  # a valid token, so it is the login check that refuses
    routes = list(console_routes(app))
    assert len(routes) >= 10
    for method, path in routes:
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/console/login?next="), (method, path)


def test_sign_in_then_out(client, sign_in):
    sign_in(client)
    assert client.get("/console/").status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/console/").text).group(1)
    response = client.post("/console/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make_staff, csrf_token):
    make_staff("ana")
    form = {"username": "ana", "password": "wrong-password-123", "csrf_token": csrf_token(client, "/console/login")}
    response = client.post("/console/login", data=form)
    assert response.status_code == 200 and "Wrong username or password." in response.text
    assert client.get("/console/").status_code == 302


def test_next_only_leads_inside_the_console(client, make_staff, csrf_token):
    make_staff("ana")
    token = csrf_token(client, "/console/login")
    form = {"username": "ana", "password": STAFF_PASSWORD, "csrf_token": token, "next": "https://evil.example/"}
    assert client.post("/console/login", data=form).headers["Location"] == "/console/"


@pytest.mark.parametrize("path", ["/console/admin/failed", "/console/admin/staff"])
def test_support_staff_cannot_reach_admin_pages(client, sign_in, path):
    sign_in(client, role="support")
    response = client.get(path)
    assert response.status_code == 403 and "for admins" in response.text


@pytest.mark.parametrize(
    "path", ["/console/admin/failed/requeue-all", "/console/admin/failed/job-1/discard", "/console/admin/staff"]
)
def test_support_staff_cannot_act_as_admin(client, sign_in, csrf_token, path, redis_client):
    sign_in(client, role="support")
    form = {"csrf_token": csrf_token(client, "/console/"), "username": "mallory", "password": "x" * 12}
    assert client.post(path, data=form).status_code == 403
    assert not redis_client.exists("ntf:staff:mallory")


def test_admin_reaches_admin_pages(client, sign_in):
    sign_in(client, role="admin")
    assert client.get("/console/admin/failed").status_code == 200
    assert client.get("/console/admin/staff").status_code == 200


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, sign_in, sandbox):
    sandbox.add_delivery("t-1")
    sign_in(client)
    response = client.post("/console/deliveries/t-1/resend", data={"channels": "sms"})
    assert response.status_code == 400 and "Reload the page" in response.text
    assert not sandbox.shippify_calls


def test_login_without_csrf_token_is_refused(client, make_staff):
    make_staff("ana")
    response = client.post("/console/login", data={"username": "ana", "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert client.get("/console/").status_code == 302


def test_sixth_failed_sign_in_within_a_minute_is_refused_even_with_the_right_password(client, make_staff, csrf_token):
    make_staff("ana")
    token = csrf_token(client, "/console/login")
    wrong = {"username": "ana", "password": "nope-nope-nope", "csrf_token": token}
    for _ in range(5):
        assert client.post("/console/login", data=wrong).status_code == 200
    right = client.post("/console/login", data={"username": "ANA", "password": STAFF_PASSWORD, "csrf_token": token})
    assert right.status_code == 429
    assert "Too many sign-in attempts" in right.text and right.headers["Retry-After"]


def test_address_limit_covers_many_usernames(client, make_staff, csrf_token):
    make_staff("ana")
    token = csrf_token(client, "/console/login")
    for i in range(20):
        form = {"username": f"guess{i}", "password": "nope-nope-nope", "csrf_token": token}
        assert client.post("/console/login", data=form).status_code == 200
    form = {"username": "ana", "password": STAFF_PASSWORD, "csrf_token": token}
    assert client.post("/console/login", data=form).status_code == 429


def test_successful_sign_ins_do_not_count(client, sign_in, csrf_token):
    sign_in(client)
    for _ in range(6):
        form = {"username": "ana", "password": STAFF_PASSWORD, "csrf_token": csrf_token(client, "/console/")}
        assert client.post("/console/login", data=form).status_code == 302


def test_removed_staff_lose_their_session_at_once(client, sign_in, redis_client):
    from worker.store import staff

    sign_in(client)
    staff.remove(redis_client, "ana")
    assert client.get("/console/").status_code == 302


def test_session_cookie_flags(client, make_staff, csrf_token):
    make_staff("ana")
    form = {"username": "ana", "password": STAFF_PASSWORD, "csrf_token": csrf_token(client, "/console/login")}
    cookie = client.post("/console/login", data=form).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # APP_ENV=test: plain http


def test_session_cookie_is_secure_outside_development(settings, make_app, make_staff, csrf_token):
    from dataclasses import replace

    from tests.conftest import STAFF_PASSWORD

    client = make_app(replace(settings, app_env="production")).test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # as behind the platform's TLS router
    make_staff("ana", "support")
    form = {"username": "ana", "password": STAFF_PASSWORD, "csrf_token": csrf_token(client, "/console/login")}
    response = client.post("/console/login", data=form)
    assert response.status_code == 302
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("notifier_session=")]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_on_console_and_json_alike(client, post_webhook):
    page, json_answer = client.get("/console/login"), post_webhook({"id": "t-1"}, status="assigned")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]  # the console's own scripts only
    assert page.headers["Cache-Control"] == "no-store"  # names and tracking links stay out of the browser cache
    assert (
        json_answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    )
    for response in (page, json_answer):
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert post_webhook({"id": "t-2"}, status="assigned").status_code == 202  # webhooks need no CSRF token


def test_no_inline_script_or_style_in_pages(app, sign_in, sandbox):
    sandbox.add_delivery("t-1")
    stranger, staff = app.test_client(), sign_in(app.test_client())
    pages = [(stranger, "/console/login"), (staff, "/console/"), (staff, "/console/deliveries/t-1")]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.text
        assert "<script>" not in html and "style=" not in html and "<style" not in html
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/console.js" defer>'], path


@pytest.mark.parametrize(
    ("accept", "chosen", "word"),
    [("es-EC,es;q=0.9", None, "Contraseña"), ("pt-BR", None, "Senha"), ("en", None, "Password"), ("en", "pt", "Senha")],
)
def test_language_from_the_browser_or_the_selector(client, csrf_token, accept, chosen, word):
    headers = {"Accept-Language": accept}
    if chosen:
        token = csrf_token(client, "/console/login")
        client.post("/console/language", data={"lang": chosen, "next": "/console/login", "csrf_token": token})
    assert word in client.get("/console/login", headers=headers).text
