"""Fixtures of the sandbox's own tests: one sandbox per module, reset before each test, and module-wide clients."""

from collections.abc import Iterator

import pytest
import requests
from twilio.rest import Client

from sandbox import Sandbox
from tests.sandbox_clients import close, make_client


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def clean(sb: Sandbox) -> None:
    sb.reset()
    sb.auto_report = False


@pytest.fixture(scope="module")
def twilio(sb: Sandbox) -> Iterator[Client]:
    client = make_client(sb)
    yield client
    close(client)


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
