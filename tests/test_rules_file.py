"""The example rules file documents exactly the built-in defaults."""

from pathlib import Path

from worker import rules

ROOT = Path(__file__).resolve().parent.parent


def test_example_rules_file_equals_the_defaults():
    assert rules.load(str(ROOT / "rules.example.toml")).table == rules.DEFAULT_RULES
