"""requirements.txt (what PaaS builders install) pins exactly the runtime dependencies of pyproject.toml."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_requirements_match_pyproject():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    pinned = [line for line in lines if line and not line.startswith("#")]
    assert sorted(pinned) == sorted(declared)
    assert all("==" in line for line in pinned)
