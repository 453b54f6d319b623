"""Staff accounts: scrypt hashes, roles, no expiry; `flask --app web staff add|remove|list`."""

import pytest

from tests.conftest import STAFF_PASSWORD, flask_cli
from worker.store import staff


def test_password_is_stored_as_a_scrypt_hash_and_the_account_never_expires(redis_client):
    staff.add(redis_client, "Ana", STAFF_PASSWORD, "admin")
    stored = redis_client.hgetall("ntf:staff:ana")
    assert stored[b"password_hash"].startswith(b"scrypt:") and STAFF_PASSWORD.encode() not in stored[b"password_hash"]
    assert stored[b"role"] == b"admin"
    assert redis_client.ttl("ntf:staff:ana") == -1 and redis_client.ttl("ntf:staff") == -1


def test_authenticate(redis_client):
    staff.add(redis_client, "ana", STAFF_PASSWORD)
    assert staff.authenticate(redis_client, " ANA ", STAFF_PASSWORD) == staff.get(redis_client, "ana")
    assert staff.authenticate(redis_client, "ana", "wrong-password-1") is None
    assert staff.authenticate(redis_client, "nobody", STAFF_PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "problem"),
    [
        ("a", STAFF_PASSWORD, "support", "username"),
        ("ana smith", STAFF_PASSWORD, "support", "username"),
        ("ana", "short", "support", "password"),
        ("ana", STAFF_PASSWORD, "root", "role"),
    ],
)
def test_unusable_accounts_are_refused(redis_client, username, password, role, problem):
    with pytest.raises(staff.StaffError, match=problem):
        staff.add(redis_client, username, password, role)


def test_an_existing_username_is_refused(redis_client):
    staff.add(redis_client, "ana", STAFF_PASSWORD)
    with pytest.raises(staff.StaffError, match="already exists"):
        staff.add(redis_client, "ANA", STAFF_PASSWORD, "admin")


def test_cli_add_list_remove(app, redis_client):
    runner = flask_cli(app)
    typed = f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n"
    added = runner(args=["staff", "add", "ana", "--role", "admin"], input=typed)
    assert added.exit_code == 0 and "added ana (admin)" in added.output
    runner(args=["staff", "add", "bruno", "--password", STAFF_PASSWORD])
    assert runner(args=["staff", "list"]).output == "ana\tadmin\nbruno\tsupport\n"
    assert runner(args=["staff", "remove", "bruno"]).output == "removed bruno\n"
    assert staff.get(redis_client, "bruno") is None
    again = runner(args=["staff", "remove", "bruno"])
    assert again.exit_code == 1 and "no staff member named 'bruno'" in again.output


def test_cli_refuses_a_weak_password(app):
    result = flask_cli(app)(args=["staff", "add", "ana", "--password", "short"])
    assert result.exit_code == 1 and "password must be 12 to 256 characters" in result.output


def test_admin_manages_staff_in_the_console(client, sign_in, csrf_token, redis_client):
    sign_in(client, "boss", "admin")
    token = csrf_token(client, "/console/admin/staff")
    form = {"username": "carla", "role": "support", "password": STAFF_PASSWORD, "csrf_token": token}
    assert client.post("/console/admin/staff", data=form).status_code == 302
    assert staff.get(redis_client, "carla").role == "support"
    weak = client.post("/console/admin/staff", data={**form, "username": "dora", "password": "short"})
    assert weak.status_code == 400 and "12 to 256 characters" in weak.text
    assert client.post("/console/admin/staff/carla/remove", data={"csrf_token": token}).status_code == 302
    assert staff.get(redis_client, "carla") is None
    client.post("/console/admin/staff/boss/remove", data={"csrf_token": token})
    assert staff.get(redis_client, "boss") is not None  # not your own account
