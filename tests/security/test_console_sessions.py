"""Console sessions end when they should, over a real socket: a copy of the cookie is worth nothing after sign-out,
idle time, the absolute lifetime, a password change or the account's removal. Time is moved with the session
policy's clock, never waited for."""

from datetime import timedelta

import pytest
import requests

from tests.conftest import STAFF_PASSWORD, flask_cli
from tests.security.test_console_probe import browser, form_token, sign_in
from worker.store import sessions

COOKIE = "notifier_session"
NEW_PASSWORD = "a-brand-new-password-42"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta).total_seconds()


@pytest.fixture
def clock(app) -> Clock:
    moved = Clock()
    app.extensions["console_sessions"] = sessions.Policy(clock=moved)
    return moved


def home(session: requests.Session) -> requests.Response:
    """The console home as this browser sees it, without following a redirect to the login page."""
    return session.get(session.base + "/console/", allow_redirects=False, timeout=10)  # type: ignore[attr-defined]


def signed_out(answer: requests.Response) -> bool:
    return answer.status_code == 302 and answer.headers["Location"].startswith("/console/login")


def replay(base_url: str, cookie: str) -> requests.Session:
    """Another browser holding a copy of a cookie."""
    thief = browser(base_url)
    thief.cookies.set(COOKIE, cookie, domain="127.0.0.1", path="/")
    return thief


def test_a_cookie_replayed_after_sign_out_signs_nobody_in(base_url, make_staff):
    make_staff("ana")
    ana = browser(base_url)
    language = {"lang": "pt", "next": "/console/", "csrf_token": form_token(ana, "/console/login")}
    ana.post(base_url + "/console/language", data=language, timeout=10)
    assert sign_in(ana).status_code == 302
    copied = ana.cookies[COOKIE]
    assert home(replay(base_url, copied)).status_code == 200

    out = ana.post(base_url + "/console/logout", data={"csrf_token": form_token(ana, "/console/")}, timeout=10)
    assert out.status_code == 200 and "Entrar" in out.text  # the login page, still in the chosen language
    assert signed_out(home(replay(base_url, copied)))
    assert signed_out(home(ana))


def test_an_idle_session_ends_and_a_used_one_does_not(base_url, make_staff, clock):
    make_staff("ana")
    ana = browser(base_url)
    assert sign_in(ana).status_code == 302
    for _ in range(4):  # two hours of use, one request every 29 minutes
        clock.advance(minutes=29)
        assert home(ana).status_code == 200
    clock.advance(minutes=31)
    assert signed_out(home(ana))
    clock.advance(minutes=-31)  # even back within the idle time: the record is gone
    assert signed_out(home(ana))


def test_a_session_in_constant_use_ends_at_its_lifetime(base_url, make_staff, clock):
    make_staff("ana")
    ana = browser(base_url)
    assert sign_in(ana).status_code == 302
    copied = ana.cookies[COOKIE]
    for _ in range(35):  # 11 h 40 min of a request every 20 minutes
        clock.advance(minutes=20)
        assert home(ana).status_code == 200
    clock.advance(minutes=21)
    assert signed_out(home(ana))
    assert signed_out(home(replay(base_url, copied)))
    assert sign_in(ana).status_code == 302 and home(ana).status_code == 200  # signing in again starts afresh


def test_a_password_change_ends_every_open_session(app, base_url, make_staff):
    make_staff("ana")
    laptop, phone = browser(base_url), browser(base_url)
    assert sign_in(laptop).status_code == 302 and sign_in(phone).status_code == 302

    result = flask_cli(app)(args=["staff", "password", "ana", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output

    assert signed_out(home(laptop)) and signed_out(home(phone))
    assert sign_in(browser(base_url), password=STAFF_PASSWORD).status_code == 200  # the old password is refused
    fresh = browser(base_url)
    assert sign_in(fresh, password=NEW_PASSWORD).status_code == 302 and home(fresh).status_code == 200


def test_removing_a_staff_member_ends_their_session_in_another_browser(base_url, make_staff):
    make_staff("ana")
    make_staff("bruno", "admin")
    ana, bruno = browser(base_url), browser(base_url)
    assert sign_in(ana).status_code == 302 and sign_in(bruno, "bruno").status_code == 302
    copied = ana.cookies[COOKIE]

    token = form_token(bruno, "/console/admin/staff")
    removed = bruno.post(base_url + "/console/admin/staff/ana/remove", data={"csrf_token": token}, timeout=10)
    assert removed.status_code == 200

    assert signed_out(home(ana)) and signed_out(home(replay(base_url, copied)))
    assert home(bruno).status_code == 200
