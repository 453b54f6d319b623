"""Shippify's API: the delivery (recipient, current status) and the recipient's secure tracking link."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from worker import links
from worker.errors import ConfigurationError, PermanentError, TransientError, UnknownDelivery


@dataclass(frozen=True)
class TrackingLink:
    """The link sent to the recipient; `url` embeds a secret token, so it never goes to logs."""

    url: str

    def __repr__(self) -> str:
        return "TrackingLink(<secret>)"


class ShippifyClient:
    """One small client for the two reads the notifier needs; failures map to transient or permanent."""

    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        timeout: float = 10.0,
        plain_http_origin: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.plain_http_origin = plain_http_origin  # development only: links.development_origin
        self.session = requests.Session()
        self.session.auth = (app_id, app_secret)
        self.session.headers["Accept"] = "application/json"

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        self.session.close()

    def get_delivery(self, delivery_id: str) -> dict[str, Any]:
        """`GET /v1/deliveries/{id}/complete`: recipient, status, merchant, reference."""
        return self._get(f"/v1/deliveries/{_segment(delivery_id)}/complete", delivery_id)

    def get_tracking_link(self, delivery_id: str) -> TrackingLink:
        """`GET /v1/deliveries/token/{id}`: a link bound to the recipient, on whatever host Shippify tracks on, but
        only in canonical form (links.py), so no answer can carry a link that a browser reads another way."""
        body = self._get(f"/v1/deliveries/token/{_segment(delivery_id)}", delivery_id)
        url = links.canonical(body.get("url"), plain_http_origin=self.plain_http_origin)
        if url is None:
            raise TransientError(
                f"Shippify answered the tracking link of {delivery_id} without a usable url (a plain https link)"
            )
        return TrackingLink(url)

    def check_credentials(self) -> None:
        """A harmless authenticated call: a made-up delivery should be 404, not 401."""
        try:
            self.get_delivery("notifier-credentials-check")
        except UnknownDelivery:
            return

    def _get(self, path: str, delivery_id: str) -> dict[str, Any]:
        """GET a JSON object, mapping every failure to one of our errors."""
        try:
            response = self.session.get(self.base_url + path, timeout=self.timeout)
        except requests.Timeout:
            raise TransientError(f"Shippify did not answer within {self.timeout:g}s") from None
        except requests.RequestException as exc:
            raise TransientError(f"Shippify unreachable ({type(exc).__name__})") from None
        self._raise_for_status(response.status_code, delivery_id)
        try:
            body = response.json()
        except ValueError:
            raise TransientError("Shippify answered with a body that is not JSON") from None
        if not isinstance(body, dict):
            raise TransientError("Shippify answered with JSON that is not an object")
        return body

    @staticmethod
    def _raise_for_status(status: int, delivery_id: str) -> None:
        """401/403: wrong credentials; 404: unknown delivery; 429/5xx: try later; other 4xx: give up."""
        if status < 300:
            return
        if status in (401, 403):
            raise ConfigurationError(
                f"Shippify refused the credentials (HTTP {status}): check SHIPPIFY_APP_ID and SHIPPIFY_APP_SECRET"
            )
        if status == 404:
            raise UnknownDelivery(f"Shippify does not know delivery {delivery_id}")
        if status in (408, 425, 429) or status >= 500:
            raise TransientError(f"Shippify answered HTTP {status}")
        raise PermanentError(f"Shippify answered HTTP {status} for delivery {delivery_id}")


def _segment(delivery_id: str) -> str:
    """One path segment; "." and ".." would resolve to another endpoint, so no delivery has them."""
    if delivery_id.strip() in ("", ".", ".."):
        raise UnknownDelivery(f"Shippify does not know delivery {delivery_id}")
    return quote(delivery_id, safe="")
