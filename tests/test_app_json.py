"""The Heroku button's app.json describes every setting the service reads and runs both Procfile processes."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_read_by_the_code() -> set[str]:
    source = (ROOT / "worker" / "settings.py").read_text()
    return set(re.findall(r'self\.(?:text|url|number|choice|locales|boolean|rate)\("([A-Z_]+)"', source)) | {
        "WEBHOOK_TOKENS",
        "API_TOKENS",
        "DEFAULT_COUNTRY",
    }


def test_app_json_lists_every_setting():
    app = json.loads((ROOT / "app.json").read_text())
    missing = (
        settings_read_by_the_code()
        - set(app["env"])
        - {"REDIS_URL", "HTTP_TIMEOUT_SECONDS", "RETRY_BASE_SECONDS", "RETRY_MAX_ATTEMPTS", "WEBHOOK_MAX_MB"}
    )
    assert not missing
    assert set(app["formation"]) == {"web", "worker"}
    assert any(addon["plan"].startswith("heroku-redis") for addon in app["addons"])


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    assert not {name for name in settings_read_by_the_code() if f"`{name}`" not in readme}
