"""Building blocks of the OpenAPI description (web/openapi.py): content types, the error body, answers."""

from typing import Any

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ERROR = {"$ref": "#/components/schemas/Error"}
TEXT = {"type": "string"}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON body with this schema."""
    return {JSON: {"schema": schema}}


def error_answer(
    description: str, schema: dict[str, Any] = ERROR, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A documented error answer: always JSON {"error": ..., "detail": ...}."""
    answer: dict[str, Any] = {"description": description, "content": json_body(schema)}
    if headers:
        answer["headers"] = {name: {"description": text, "schema": TEXT} for name, text in headers.items()}
    return answer


UNAVAILABLE = error_answer(
    "Redis is unreachable: nothing was recorded; try again later", headers={"Retry-After": "seconds"}
)
TOO_LARGE = error_answer("The body is over the size limit (WEBHOOK_MAX_MB)")
NOT_FOUND = error_answer("No such path (for example, a path segment that is empty or holds a slash)")

EXAMPLE_DELIVERY = "t-shiinc-27946"
