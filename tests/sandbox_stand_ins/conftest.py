"""Fixtures of the sandbox's own tests: one sandbox per module, reset before each test, and module-wide clients."""

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, request
from twilio.rest import Client

from sandbox import Sandbox
from sandbox.server import HttpServer
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


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A tiny webhook receiver that records what Twilio-style callbacks it gets."""
    seen: list[dict[str, Any]] = []
    app = Flask("receiver")

    @app.post("/hook")
    def hook() -> str:
        seen.append(
            {
                "url": request.url,
                "form": request.form.to_dict(),
                "signature": request.headers.get("X-Twilio-Signature", ""),
            }
        )
        return ""

    server = HttpServer(app, "127.0.0.1")
    server.start()
    yield server.url + "/hook", seen
    server.stop()
