"""WhatsApp sends through the sandbox's Twilio over real sockets: an approved template with its variables, never a
free-form Body, billed per message, within WhatsApp's limits."""

import json
from pathlib import Path

import pytest

from worker.events import notification_id

NUMBER = "+593998976565"
WA_ID = notification_id("t-1", "going_to_dropoff", "whatsapp")
HOLD_ID = notification_id("t-1", "hold_by_courier", "whatsapp")
RULES = """
[going_to_dropoff]
channels = ["whatsapp", "email"]
fallback = { whatsapp = "sms" }

[hold_by_courier]
channels = ["whatsapp"]
fallback = { whatsapp = "sms" }
"""


@pytest.fixture
def env(env: dict[str, str], sandbox, tmp_path: Path) -> dict[str, str]:
    """The test settings with WhatsApp rules and the sandbox's WhatsApp sender and example templates."""
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    return {**env, **sandbox.whatsapp_env(), "NOTIFY_RULES": str(rules)}


def fire(sandbox, post_webhook, status: str = "going_to_dropoff", **delivery) -> None:
    sandbox.add_delivery("t-1", status=status, **delivery)
    assert post_webhook({"id": "t-1"}, status=status).status_code == 202


def test_the_approved_template_goes_with_its_variables(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook)
    work()
    assert sandbox.sms == [] and len(sandbox.emails) == 1
    (message,) = sandbox.whatsapp
    assert message["to"] == "whatsapp:" + NUMBER and message["from_"] == "whatsapp:+15005550006"
    assert message["params"]["ContentSid"] == "HX0000000000000000000000000000e001"
    assert "Body" not in message["params"]
    variables = json.loads(message["params"]["ContentVariables"])
    assert set(variables) == {"1", "2", "3"} and variables["3"].startswith("https://")
    assert message["body"].startswith(f"Hola {variables['1']}, tu pedido de {variables['2']} va en camino.")
    record = services.store.notification(WA_ID)
    assert (record.channel, record.state, record.billed) == ("whatsapp", "queued", "messages")
    assert record.destination != NUMBER and record.segments is None
    assert services.store.by_provider_id(message["sid"]) == WA_ID
    assert services.store.outbox(WA_ID) == {}  # the number and text are forgotten once Twilio took them


def test_a_variable_with_newlines_tabs_and_spaces_is_made_acceptable(sandbox, post_webhook, work, services):
    reason = "Nadie\nen casa.\tVolvemos      mañana " + "x" * 300
    fire(sandbox, post_webhook, status="hold_by_courier", reasonText=reason, company="Tienda\nSol")
    work()
    (message,) = sandbox.whatsapp  # Twilio refuses any of these with 63013: it took the message
    variables = json.loads(message["params"]["ContentVariables"])
    assert variables["2"] == "Tienda Sol"
    assert variables["3"].startswith("Nadie en casa. Volvemos mañana x") and variables["3"].endswith("…")
    assert len(variables["3"]) == 200
    assert sandbox.sms == [] and services.store.notification(HOLD_ID).state == "queued"
