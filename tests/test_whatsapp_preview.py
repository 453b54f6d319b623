"""WhatsApp previews: the approved text as the recipient will read it, and what each variable needed, before a send."""

from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.conftest import flask_cli, free_port
from worker import whatsapp_preview
from worker.preview import SAMPLE_LINK, sample_context
from worker.whatsapp_content import ContentApi, ContentApiUnreachable, content_api_url
from worker.whatsapp_templates import WhatsAppTemplate

VARIABLES = {"1": "first_name", "2": "merchant", "3": "tracking_url"}
GOING = WhatsAppTemplate("going_to_dropoff", "es", "HX0000000000000000000000000000e001", VARIABLES)
HOLD = WhatsAppTemplate(
    "hold_by_courier",
    "es",
    "HX0000000000000000000000000000e007",
    {"1": "first_name", "2": "merchant", "3": "reason", "4": "tracking_url"},
)


def test_a_template_reads_as_the_recipient_sees_it_with_the_sample_delivery():
    row = whatsapp_preview.render_row(GOING, sample_context("es"))
    assert row.body == (
        "Hola Guadalupe-Concepción, tu pedido de Farmacias del Puerto va en camino.\n"
        f"Síguelo aquí: {SAMPLE_LINK}\nTe avisaremos cuando llegue."
    )
    assert [(v.key, v.name, v.notes) for v in row.variables] == [
        ("1", "first_name", ()),
        ("2", "merchant", ()),
        ("3", "tracking_url", ()),
    ]
    assert row.problems == () and row.error is None and row.characters == len(row.body)


def test_a_value_whatsapp_would_refuse_is_shown_cleaned_with_the_reason():
    awkward = {"first_name": "Ana\nMaría", "reason": "  ", "merchant": "Tienda" + " " * 6 + "Sol"}
    context = {**sample_context("es"), **awkward}
    row = whatsapp_preview.render_row(HOLD, context)
    assert row.body.startswith("Hola Ana María, no pudimos entregar tu pedido de Tienda Sol esta vez. Motivo: -.")
    notes = {v.name: (v.value, v.notes) for v in row.variables}
    assert notes["first_name"] == ("Ana María", ("breaks",))
    assert notes["merchant"] == ("Tienda Sol", ("spaces",))
    assert notes["reason"] == ("-", ("empty",))
    assert notes["tracking_url"] == (SAMPLE_LINK, ())


def test_an_empty_first_name_is_greeted_as_a_send_greets_it():
    row = whatsapp_preview.render_row(GOING, {**sample_context("es"), "first_name": None})
    assert row.body.startswith("Hola cliente, tu pedido de Farmacias del Puerto")
    assert row.variables[0].notes == ("empty",)


def test_a_long_reason_is_cut_and_said_so():
    row = whatsapp_preview.render_row(HOLD, {**sample_context("es"), "reason": "x" * 300})
    reason = next(v for v in row.variables if v.name == "reason")
    assert reason.value == "x" * 199 + "…" and reason.notes == ("cut",)


def test_a_missing_approved_text_or_a_mismatch_is_the_rows_problem(tmp_path: Path):
    missing = whatsapp_preview.render_row(GOING, sample_context("es"), tmp_path)
    assert missing.error and "es/going_to_dropoff/whatsapp.txt" in missing.error and missing.body == ""
    (tmp_path / "es" / "going_to_dropoff").mkdir(parents=True)
    (tmp_path / "es" / "going_to_dropoff" / "whatsapp.txt").write_text("Hola {{1}}, de {{2}}: sigue tu pedido.\n")
    row = whatsapp_preview.render_row(GOING, sample_context("es"), tmp_path)
    assert row.error is None and row.problems == ("uses variables ['1', '2'] but the mapping gives ['1', '2', '3']",)


def test_the_example_mapping_previews_every_default_status_in_every_locale():
    rows = whatsapp_preview.preview(whatsapp_preview.example_templates())
    assert len(rows) == 18 and not [r for r in rows if r.error or r.problems]
    assert [(r.status, r.locale) for r in rows[:2]] == [("going_to_dropoff", "es"), ("going_to_dropoff", "pt")]
    assert not [r for r in rows if "{{" in r.body]


@pytest.fixture
def content(sandbox: Sandbox):
    api = ContentApi(sandbox.account_sid, sandbox.auth_token, content_api_url(sandbox.api_url), timeout=2)
    yield api
    api.close()


def test_content_api_tells_approved_pending_and_unknown_templates(sandbox: Sandbox, content: ContentApi):
    assert content.approval(GOING.content_sid) == "approved"
    sandbox.set_whatsapp_approval(GOING.content_sid, "pending")
    assert content.approval(GOING.content_sid) == "pending"
    assert content.approval("HX" + "f" * 32) is None


def test_content_api_refused_credentials_name_the_settings(sandbox: Sandbox):
    api = ContentApi(sandbox.account_sid, "wrong", content_api_url(sandbox.api_url), timeout=2)
    try:
        with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
            api.approval(GOING.content_sid)
    finally:
        api.close()


def test_content_api_that_does_not_answer_is_unreachable_not_an_error():
    api = ContentApi("AC" + "0" * 32, "token", f"http://127.0.0.1:{free_port()}", timeout=2)
    try:
        with pytest.raises(ContentApiUnreachable):
            api.approval(GOING.content_sid)
    finally:
        api.close()


def test_real_twilio_means_the_real_content_api():
    assert content_api_url("https://api.twilio.com") == "https://content.twilio.com"
    assert content_api_url("http://127.0.0.1:8070/") == "http://127.0.0.1:8070"


def test_preview_command_prints_each_whatsapp_message_billed_per_message(app):
    result = flask_cli(app)(args=["messages", "preview", "--status", "going_to_dropoff", "--locale", "es"])
    assert result.exit_code == 0, result.output
    assert (
        "WhatsApp, billed per message (not per segment); templates from whatsapp_templates.example.toml"
        in result.output
    )
    heading = f"es going_to_dropoff whatsapp {GOING.content_sid}: 200/1024 characters, 1 message\n"
    body = "  | Hola Guadalupe-Concepción, tu pedido de Farmacias del Puerto va en camino.\n"
    assert heading + body in result.output
    assert "  {{1}} first_name = 'Guadalupe-Concepción'\n" in result.output
    assert "1 WhatsApp messages, billed one each\n" in result.output


def test_preview_command_fails_a_whatsapp_template_out_of_step_with_its_text(make_app, tmp_path):
    example = whatsapp_preview.EXAMPLE_FILE.read_text()
    mapping = tmp_path / "whatsapp.toml"
    mapping.write_text(example.replace(', "3" = "tracking_url" }', " }", 1))  # [going_to_dropoff.es] loses {{3}}
    app = make_app(WHATSAPP_TEMPLATES=str(mapping))
    result = flask_cli(app)(args=["messages", "preview", "--locale", "es"])
    assert result.exit_code == 1
    assert "  | Síguelo aquí: {{3}}\n" in result.output
    assert (
        "  PROBLEM: the approved text uses variables ['1', '2', '3'] but the mapping gives ['1', '2']" in result.output
    )
    assert result.output.endswith("1 templates failed\n")
