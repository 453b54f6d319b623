"""Two load generators with the same traffic (bench/bodies.py): wrk when installed, else asyncio raw sockets.

Both return a Load: figures plus (HTTP status, delivery id) of every response read, for the correctness check.
"""

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import bodies

WRK_SCRIPT = Path(__file__).with_name("webhooks.lua")


@dataclass
class Load:
    tool: str
    seconds: float = 0.0
    requests: int = 0
    errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds of CPU per process group, filled by the caller
    latency_us: Counter[int] = field(default_factory=Counter)  # microseconds → how many responses took that long
    responses: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the latency histogram."""
        rank = max(1, -(-p * self.latency_us.total() // 100))
        seen = 0
        for value, count in sorted(self.latency_us.items()):
            seen += count
            if seen >= rank:
                return value / 1000
        return 0.0

    def add(self, other: "Load") -> None:
        """Merge another round of the same app."""
        self.seconds += other.seconds
        self.requests += other.requests
        self.errors += other.errors
        self.latency_us.update(other.latency_us)
        self.responses += other.responses
        for name, seconds in other.cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + seconds

    def cpu_ms(self, name: str) -> float:
        """CPU milliseconds per request of a process group."""
        return self.cpu.get(name, 0.0) * 1000 / self.requests if self.requests else 0.0


def run(port: int, seconds: float, concurrency: int, label: str, tool: str = "auto") -> Load:
    """Send the webhook mix to 127.0.0.1:port for `seconds` over `concurrency` connections."""
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "wrk":
        return run_wrk(port, seconds, concurrency, label)
    return asyncio.run(run_python(port, seconds, concurrency, label))


# --- wrk ---------------------------------------------------------------------------------------------


def run_wrk(port: int, seconds: float, concurrency: int, label: str) -> Load:
    """wrk with bench/webhooks.lua; its threads log every response to a file in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        folder = Path(tmp)
        for name, large in (("small", False), ("large", True)):
            prefix, suffix = bodies.template(large)
            (folder / f"{name}.prefix").write_bytes(prefix)
            (folder / f"{name}.suffix").write_bytes(suffix)
        whole = max(1, round(seconds))  # wrk takes whole seconds
        command = ["wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{whole}s", "--timeout", "10s"]
        command += ["-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}{bodies.PATH}", "--", label]
        command += [
            bodies.TOKEN_HEADER,
            bodies.TOKEN,
            *map(str, (bodies.LARGE_EVERY, bodies.DUP_EVERY, bodies.DUP_LAG)),
        ]
        env = {**os.environ, "BENCH_WRK_DIR": tmp}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        latency = Counter({int(v): int(c) for v, c in _pairs(folder / "latency.txt")})
        responses = [(int(s), i) for log in folder.glob("responses-*.log") for s, i in _pairs(log)]
    errors = sum(summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    seconds = summary["duration_us"] / 1e6
    return Load("wrk", seconds, summary["requests"], errors, latency_us=latency, responses=responses)


def _pairs(path: Path) -> list[tuple[str, str]]:
    """Lines of two space-separated words."""
    return [tuple(line.split(" ", 1)) for line in path.read_text().splitlines()]  # type: ignore[misc]


# --- asyncio raw sockets ---------------------------------------------------------------------------


class _Connection:
    """One client connection: keep-alive when the server allows it, reconnect when it closes."""

    def __init__(self, port: int, label: str) -> None:
        self.port = port
        self.sequence = bodies.Sequence(label)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, body: bytes) -> tuple[int, bool]:
        """Send one POST; returns (status, whether the connection stays open)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"POST {bodies.PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
            f"{bodies.TOKEN_HEADER}: {bodies.TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        await self.reader.readexactly(int(headers.get("content-length", "0")))
        keep = lines[0].startswith("HTTP/1.1") and headers.get("connection", "").lower() != "close"
        return int(lines[0].split()[1]), keep

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_python(port: int, seconds: float, concurrency: int, label: str, timeout: float | None = None) -> Load:
    """`concurrency` coroutines, each one connection sending the mix until the deadline (then finishing); with
    `timeout`, a request without an answer in time counts as an error (a stalled server must not stall the run)."""
    templates = {large: bodies.template(large) for large in (False, True)}
    load = Load(tool="python")
    deadline = time.perf_counter() + seconds

    async def drive(connection: _Connection) -> None:
        while time.perf_counter() < deadline:
            delivery_id, large = connection.sequence.next()
            prefix, suffix = templates[large]
            started = time.perf_counter()
            try:
                exchange = connection.exchange(prefix + delivery_id.encode() + suffix)
                status, keep = await asyncio.wait_for(exchange, timeout)
            except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
                load.errors += 1
                connection.close()
                continue
            load.latency_us[round((time.perf_counter() - started) * 1e6)] += 1
            load.responses.append((status, delivery_id))
            if not keep:
                connection.close()
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(drive(_Connection(port, f"{label}-c{c}")) for c in range(concurrency)))
    load.seconds = time.perf_counter() - started
    load.requests = len(load.responses)
    return load
