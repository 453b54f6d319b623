"""Chaos run: about 1,500 webhooks by default (with duplicates) while worker processes are killed and restarted.

Prints events sent, messages expected, received, duplicates and lost; exits 1 unless both of the last are zero.

    .venv/bin/python bench/reliability.py [--deliveries 600] [--workers 3] [--kill-every 2.0] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from web import create_app  # noqa: E402
from worker.events import notification_id  # noqa: E402
from worker.settings import Settings  # noqa: E402
from worker.store import Store  # noqa: E402
from worker.store.records import Notification  # noqa: E402

TOKEN = "reliability-webhook-secret"
STATUSES = {"going_to_dropoff": ("sms", "email"), "at_dropoff": ("sms",)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=600, help="deliveries; each gets two status events")
    parser.add_argument("--duplicates", type=float, default=0.25, help="share of events sent twice")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=2.0, help="seconds between random kills")
    parser.add_argument("--chaos-seconds", type=float, default=40.0, help="how long kills go on (from the start)")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="upstream latency per call")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the drain")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


class Workers:
    """Worker processes, each in its own process group, killed and replaced at random."""

    def __init__(self, env: dict[str, str], count: int, rng: random.Random) -> None:
        self.env, self.rng, self.kills = env, rng, 0
        self.processes = [self.spawn() for _ in range(count)]

    def spawn(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "worker"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_one(self) -> None:
        """SIGKILL (a crash) or SIGTERM (a deploy) to one worker's whole process group, then replace it."""
        index = self.rng.randrange(len(self.processes))
        victim = self.processes[index]
        os.killpg(victim.pid, self.rng.choice([signal.SIGKILL, signal.SIGTERM]))
        try:
            victim.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
        self.kills += 1
        self.processes[index] = self.spawn()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def events(deliveries: int, duplicates: float, rng: random.Random) -> list[tuple[str, str]]:
    """(delivery, status) pairs in a shuffled order, some of them repeated."""
    unique = [(f"t-rel-{i:05d}", status) for i in range(deliveries) for status in STATUSES]
    repeated = [e for e in unique if rng.random() < duplicates]
    sequence = unique + repeated
    rng.shuffle(sequence)
    return sequence


def send_all(client, sequence: list[tuple[str, str]]) -> collections.Counter:
    """POST every webhook; retry a 503 (Redis busy) like Shippify's operator would."""
    answers: collections.Counter = collections.Counter()
    for delivery_id, status in sequence:
        for _ in range(20):
            code = client.post(
                f"/webhooks/shippify/{status}", json={"id": delivery_id}, headers={"X-Webhook-Token": TOKEN}
            ).status_code
            if code != 503:
                break
            time.sleep(0.5)
        answers[code] += 1
    return answers


def waiting(record: Notification | None) -> bool:
    """Whether a notification is not recorded yet, or not past the send."""
    return record is None or record.state in ("pending", "claimed")


def settled(store: Store, pairs: set[tuple[str, str]]) -> bool:
    """Every expected notification reached a state past the send."""
    for delivery_id, status in pairs:
        for channel in STATUSES[status]:
            if waiting(store.notification(notification_id(delivery_id, status, channel))):
                return False
    return True


def unsettled(store: Store, pairs: set[tuple[str, str]]) -> list[str]:
    """The notifications still waiting, with their records, to explain a loss."""
    found = []
    for delivery_id, status in sorted(pairs):
        for channel in STATUSES[status]:
            nid = notification_id(delivery_id, status, channel)
            record = store.notification(nid)
            if waiting(record):
                found.append(f"{nid} ({delivery_id}, {status}, {channel}): {record or 'not recorded'}")
    return found


def tally(sandbox: Sandbox, pairs: set[tuple[str, str]]) -> tuple[int, int, int]:
    """Messages received, duplicates and lost, per (delivery, status, channel)."""
    received: collections.Counter = collections.Counter()
    for sms in sandbox.sms:
        delivery_id = sms["body"].split("/track/")[1].split("?")[0]
        status = "going_to_dropoff" if "camino" in sms["body"] else "at_dropoff"
        received[(delivery_id, status, "sms")] += 1
    for email in sandbox.emails:
        delivery_id = email.rcpt_tos[0].split("@")[0]
        received[(delivery_id, "going_to_dropoff", "email")] += 1
    expected = {(d, s, c) for d, s in pairs for c in STATUSES[s]}
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    lost = sum(1 for key in expected if received[key] == 0)
    return sum(received.values()), duplicates, lost


def main() -> int:
    args = parse_args()
    with common.redis_url() as redis_url, Sandbox() as sandbox:  # stopped whatever happens below
        common.flush(redis_url)
        return run(args, redis_url, sandbox)


def run(args: argparse.Namespace, redis_url: str, sandbox: Sandbox) -> int:
    rng = random.Random(args.seed)
    sandbox.set_latency(**{k: args.latency_ms / 1000 for k in ("shippify", "twilio", "smtp")})
    env = {
        **os.environ,
        **sandbox.env(),
        "APP_ENV": "development",
        "REDIS_URL": redis_url,
        "WEBHOOK_TOKENS": TOKEN,
        "RETRY_BASE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    settings = Settings.from_env(env)
    app = create_app(settings)
    store = app.extensions["notifier"].store
    for i in range(args.deliveries):
        sandbox.add_delivery(f"t-rel-{i:05d}", status="at_dropoff")
    sequence = events(args.deliveries, args.duplicates, rng)
    pairs = set(sequence)
    workers = Workers(env, args.workers, rng)
    started = time.monotonic()
    try:
        answers: collections.Counter = collections.Counter()
        sender = threading.Thread(target=lambda: answers.update(send_all(app.test_client(), sequence)))
        sender.start()
        while time.monotonic() - started < args.chaos_seconds and not (not sender.is_alive() and settled(store, pairs)):
            time.sleep(args.kill_every)
            workers.kill_one()
        sender.join()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and not settled(store, pairs):
            time.sleep(1)
        time.sleep(3)  # let any straggling duplicate show itself
        received, duplicates, lost = tally(sandbox, pairs)
        for line in unsettled(store, pairs):
            print("waiting:", line)
    finally:
        workers.stop()
    expected = sum(len(STATUSES[s]) for _, s in pairs)
    print(f"events sent:        {len(sequence)} ({len(sequence) - len(pairs)} duplicates; answers {dict(answers)})")
    print(
        f"workers killed:     {workers.kills} (SIGKILL or SIGTERM at random, every {args.kill_every:g} s "
        f"for the first {args.chaos_seconds:g} s)"
    )
    print(f"messages expected:  {expected}")
    print(f"messages received:  {received}")
    print(f"duplicates:         {duplicates}")
    print(f"lost:               {lost}")
    print(f"elapsed:            {time.monotonic() - started:.0f} s")
    return 0 if duplicates == 0 and lost == 0 and received == expected else 1


if __name__ == "__main__":
    sys.exit(main())
