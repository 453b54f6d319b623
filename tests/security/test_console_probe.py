"""The console against a probe's requests over a real socket: control characters in `next`, a forged Host or
X-Forwarded-Host in redirects, and parallel wrong passwords against the sign-in throttle."""

import re
import threading
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import STAFF_PASSWORD


def browser(base_url: str) -> requests.Session:
    """A client that keeps its cookies, as a browser does."""
    session = requests.Session()
    session.base = base_url  # type: ignore[attr-defined]
    return session


def form_token(session: requests.Session, path: str) -> str:
    """The CSRF token of the form on a console page."""
    page = session.get(session.base + path, timeout=10).text  # type: ignore[attr-defined]
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(session: requests.Session, username: str = "ana", password: str = STAFF_PASSWORD) -> requests.Response:
    form = {"username": username, "password": password, "csrf_token": form_token(session, "/console/login")}
    return session.post(session.base + "/console/login", data=form, allow_redirects=False, timeout=30)  # type: ignore[attr-defined]


def assert_safe_location(response: requests.Response) -> None:
    """A redirect to a path inside the console, with no control character and no host of its own."""
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    location = response.headers["Location"]
    assert location.startswith("/console") and location.isprintable()
    assert not urlsplit(location).netloc and "X-Injected" not in response.headers


# --- 6. control characters in redirect targets ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/console/\nX-Injected: 1", "/console/\r\nX-Injected: 1", "/console/\x00", "/console/\t"]
)
def test_language_with_a_control_character_in_next_falls_back_to_the_console(base_url, target):
    session = browser(base_url)
    form = {"lang": "es", "next": target, "csrf_token": form_token(session, "/console/login")}
    answer = session.post(base_url + "/console/language", data=form, allow_redirects=False, timeout=10)
    assert_safe_location(answer)
    assert answer.headers["Location"] == "/console/"


@pytest.mark.parametrize("encoded", ["/console/%0d%0aX-Injected:%201", "/console/%0aX-Injected:%201", "/console%09"])
def test_login_with_a_control_character_in_next_falls_back_to_the_console(base_url, make_staff, encoded):
    make_staff("ana")
    session = browser(base_url)
    page = session.get(f"{base_url}/console/login?next={encoded}", timeout=10)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    form = {"username": "ana", "password": STAFF_PASSWORD, "csrf_token": token}
    signed_in = session.post(f"{base_url}/console/login?next={encoded}", data=form, allow_redirects=False, timeout=30)
    assert_safe_location(signed_in)
    again = session.get(f"{base_url}/console/login?next={encoded}", allow_redirects=False, timeout=10)
    assert_safe_location(again)
    assert again.headers["Location"] == "/console/"


# --- 7. redirects never name a host taken from the request ----------------------------------------------------

FORGED = [{"X-Forwarded-Host": "evil.example"}, {"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example:443"}]


@pytest.mark.parametrize("headers", FORGED)
@pytest.mark.parametrize(
    "path", ["/console", "/console/", "/console/deliveries/t-1", "/console/messages", "/console/admin/staff"]
)
def test_no_redirect_names_a_forged_host(base_url, headers, path):
    answer = requests.get(base_url + path, headers=headers, allow_redirects=False, timeout=10)
    assert answer.is_redirect, (answer.status_code, path)
    assert "evil" not in answer.headers["Location"]
    assert not urlsplit(answer.headers["Location"]).netloc


@pytest.mark.parametrize("headers", [FORGED[0], FORGED[2]])  # a forged Host would keep the client's cookie back
def test_no_redirect_names_a_forged_host_when_signed_in(base_url, make_staff, headers):
    make_staff("ana")
    session = browser(base_url)
    assert sign_in(session).status_code == 302
    for path in ("/console", "/console/login", "/console/login?next=/console/find"):
        answer = session.get(base_url + path, headers=headers, allow_redirects=False, timeout=10)
        assert answer.is_redirect and "evil" not in answer.headers["Location"], path
    logout = {"csrf_token": form_token(session, "/console/")}
    answer = session.post(base_url + "/console/logout", data=logout, headers=headers, allow_redirects=False, timeout=10)
    assert answer.is_redirect and "evil" not in answer.headers["Location"]


# --- 8. the sign-in throttle counts before it checks ----------------------------------------------------------


def test_parallel_wrong_passwords_get_exactly_five_checks(base_url, make_staff):
    make_staff("ana")
    sessions = [browser(base_url) for _ in range(12)]
    forms = [
        {"username": "ana", "password": "wrong-password-0", "csrf_token": form_token(s, "/console/login")}
        for s in sessions
    ]
    start = threading.Barrier(len(sessions))
    answers: list[requests.Response] = []

    def guess(session: requests.Session, form: dict) -> None:
        start.wait()
        answers.append(session.post(base_url + "/console/login", data=form, allow_redirects=False, timeout=60))

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(sessions, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    checked = [a for a in answers if a.status_code == 200 and "Wrong username or password" in a.text]
    throttled = [a for a in answers if a.status_code == 429 and "Too many sign-in attempts" in a.text]
    assert (len(checked), len(throttled)) == (5, 7), sorted(a.status_code for a in answers)
    assert sign_in(browser(base_url)).status_code == 429  # the right password too, while throttled
