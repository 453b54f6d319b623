"""A quiet threaded WSGI server on a daemon thread, so fakes can be reached over a real socket."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """Drops the per-request access log lines, to keep test and dev consoles quiet."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Access lines are noise here (errors are still logged)."""


def free_port(host: str) -> int:
    """A port nobody listens on right now, for servers that cannot bind port 0 themselves."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_answers(url: str, timeout: float = 10.0) -> None:
    """Poll a URL until it answers 200, so start() only returns a usable server."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with requests.get(url, timeout=1.0) as response:
                if response.status_code == 200:
                    return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"server at {url} did not answer within {timeout} s")
        time.sleep(0.02)


class HttpServer:
    """werkzeug's threaded server running a WSGI app in a daemon thread."""

    def __init__(self, app: Any, host: str, port: int = 0) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, health_path: str | None = None) -> None:
        """Bind, serve in the background and, if given, wait until health_path answers."""
        server = make_server(
            self.host, self.requested_port, self.app, threaded=True, request_handler=QuietRequestHandler
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-http-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        if health_path is not None:
            wait_until_answers(self.url + health_path)

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving, close the listening socket and join the thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
