"""The pages a short tracking link answers instead of a redirect, in the recipient's language: expired (404), Shippify
unreachable (503), too many tries (429). Each is the same for every code: none hints that a code is valid."""

from flask import Response, render_template

# Loads nothing, is framed by nobody, sends no Referer, stays in no cache.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

TEXTS: dict[str, dict[str, dict[str, object]]] = {
    "expired": {
        "es": {
            "title": "Este enlace ha caducado",
            "body": [
                "El enlace de seguimiento que recibiste ya no es válido.",
                "Para saber de tu pedido, contacta a la tienda donde compraste: sus datos de contacto están en la"
                " confirmación de tu compra.",
            ],
        },
        "pt": {
            "title": "Este link expirou",
            "body": [
                "O link de rastreamento que você recebeu não é mais válido.",
                "Para saber do seu pedido, fale com a loja onde você comprou: os contatos dela estão na confirmação"
                " da sua compra.",
            ],
        },
        "en": {
            "title": "This link has expired",
            "body": [
                "The tracking link you received is no longer valid.",
                "For news of your order, contact the store you bought from: their contact details are in your order"
                " confirmation.",
            ],
        },
    },
    "unavailable": {
        "es": {
            "title": "Seguimiento no disponible por ahora",
            "body": ["No pudimos abrir la página de seguimiento. Inténtalo de nuevo en un minuto."],
        },
        "pt": {
            "title": "Rastreamento indisponível no momento",
            "body": ["Não conseguimos abrir a página de rastreamento. Tente novamente em um minuto."],
        },
        "en": {
            "title": "Tracking is unavailable right now",
            "body": ["We could not open the tracking page. Please try again in a minute."],
        },
    },
    "busy": {
        "es": {"title": "Demasiados intentos", "body": ["Espera un minuto y vuelve a abrir el enlace."]},
        "pt": {"title": "Tentativas demais", "body": ["Espere um minuto e abra o link novamente."]},
        "en": {"title": "Too many tries", "body": ["Please wait a minute, then open the link again."]},
    },
}
STATUS = {"expired": 404, "unavailable": 503, "busy": 429}


def page(name: str, locale: str) -> Response:
    """One of the pages, in `locale` (every page exists in every locale the notifier sends in)."""
    html = render_template("short_links/page.html", locale=locale, text=TEXTS[name][locale])
    response = Response(html, STATUS[name], mimetype="text/html", headers=HEADERS)
    if name in ("unavailable", "busy"):
        response.headers["Retry-After"] = "60"
    return response
