"""The benchmarks still run end to end (briefly): every figure line prints with its ratio and the loss check passes.
Their speed is not asserted here; bench/README.md has the measured figures."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, f"bench/{script}", *args], cwd=ROOT, capture_output=True, text=True, timeout=170
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout.splitlines()


@pytest.mark.timeout(180)
def test_ingest_prints_each_figure_against_the_floor_and_loses_nothing():
    lines = run("ingest.py", "--duration", "1", "--rounds", "1", "--tool", "python")
    for figure in ("rps", "p50 ms", "p99 ms", "app cpu ms/request", "redis cpu ms/request"):
        (line,) = [line for line in lines if line.startswith(f"ingest {figure}: ")]
        assert " ours " in line and " floor " in line and " ratio " in line, line
    checks = [line for line in lines if line.startswith("ingest check ")]
    assert len(checks) == 2 and all(line.endswith(": ok") and "lost 0 duplicated 0" in line for line in checks)


@pytest.mark.timeout(180)
def test_drain_prints_each_figure_against_the_limit_and_every_message_arrives_once():
    lines = run("drain.py", "--events", "20", "--workers", "2", "--max-seconds", "3", "--mode", "simple")
    for figure in ("messages/s", "idle latency ms", "cpu ms/event", "worker rss MB", "redis bytes/delivery"):
        assert any(line.startswith(f"drain {figure} [simple]: ") for line in lines), figure
    (check,) = [line for line in lines if line.startswith("drain check [simple]: ")]
    assert check.endswith(": ok") and "lost 0 duplicated 0" in check, check


@pytest.mark.timeout(180)
def test_drain_with_a_whatsapp_rule_sends_one_whatsapp_and_one_email_per_delivery():
    lines = run(
        "drain.py", "--events", "20", "--workers", "2", "--max-seconds", "3", "--mode", "simple", "--rule", "whatsapp"
    )
    (rate,) = [line for line in lines if line.startswith("drain messages/s [simple]: ")]
    assert " ratio " in rate, rate
    (check,) = [line for line in lines if line.startswith("drain check [simple]: ")]
    assert check.endswith(": ok") and "whatsapp 25 (SMS fallbacks 0) email 25" in check, check


@pytest.mark.timeout(180)
def test_slow_clients_prints_each_step_against_its_floor_and_the_service_keeps_answering():
    lines = run("slow_clients.py", "--slow", "0,4", "--duration", "1", "--models", "config")
    for n in (0, 4):
        for figure in ("rps", "p99 ms"):
            (line,) = [line for line in lines if line.startswith(f"slow-clients config N={n} {figure}: ")]
            assert " ours " in line and " floor " in line and " ratio " in line, line
        (check,) = [line for line in lines if line.startswith(f"slow-clients config N={n} check: ")]
        assert check.endswith(": ok") and "0 unanswered or 5xx" in check, check


@pytest.mark.timeout(180)
def test_redirect_prints_each_figure_against_the_floor_and_answers_every_click():
    lines = run("redirect.py", "--duration", "1", "--codes", "20")
    for figure in ("rps", "p99 ms"):
        (line,) = [line for line in lines if line.startswith(f"redirect {figure}: ")]
        assert " ours " in line and " floor " in line and " ratio " in line, line
    (burst,) = [line for line in lines if line.startswith("redirect shippify calls per burst")]
    assert burst.split(": ")[1].split()[0] in ("1", "2"), burst  # one call per web process at most
    assert any(line.startswith("redirect check ") and line.endswith(": ok") for line in lines)
