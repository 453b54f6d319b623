"""The one rule for a tracking link a recipient may be sent: a plain, canonical https URL that every parser (ours,
a browser's, a mail client's) reads the same way, so that nobody can hide another host inside it."""

import re
from collections.abc import Collection
from urllib.parse import urlsplit

SHIPPIFY_HOST = "api.shippify.co"
MAX_LENGTH = 2048
# Lower-case DNS labels only: no userinfo, no percent-encoding, no IDN, no trailing dot, no IP tricks beyond digits.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_AUTHORITY = re.compile(rf"(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::[0-9]{{1,5}})?")
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")


def canonical(url: object, hosts: Collection[str] | None = None, plain_http_origin: str | None = None) -> str | None:
    """`url` when it is in canonical form (and, given `hosts`, on one of them exactly); None otherwise.
    `plain_http_origin` ("http://host:port", from `development_origin` only) also lets http links on exactly it."""
    host = canonical_host(url, plain_http_origin)
    if host is None or (hosts is not None and host not in hosts):
        return None
    return str(url)


def canonical_host(url: object, plain_http_origin: str | None = None) -> str | None:
    """The host of a canonical https link, or None: printable ASCII without spaces or backslashes, `https://`
    exactly, then an authority that is a lower-case host name and an optional port, then a path, query or nothing.
    An `http://` link passes only when its scheme and authority are exactly `plain_http_origin`."""
    if not isinstance(url, str) or len(url) > MAX_LENGTH or not _VISIBLE_ASCII.fullmatch(url) or "\\" in url:
        return None
    scheme = "http://" if plain_http_origin and url.startswith("http://") else "https://"
    if not url.startswith(scheme):
        return None
    authority = re.split(r"[/?#]", url[len(scheme) :], maxsplit=1)[0]
    found = _AUTHORITY.fullmatch(authority)
    if found is None or (scheme == "http://" and scheme + authority != plain_http_origin):
        return None
    host = found.group("host")
    return host if urlsplit(url).hostname == host else None


def shippify_hosts(api_url: str) -> frozenset[str]:
    """Hosts whose links a webhook body may carry: Shippify's own, and that of the API the notifier is set up with."""
    configured = urlsplit(api_url).hostname
    return frozenset({SHIPPIFY_HOST, configured} if configured else {SHIPPIFY_HOST})


def development_origin(api_url: str, is_development: bool) -> str | None:
    """The "http://host:port" of a plain-http Shippify API (the local sandbox) in development, whose own tracking page
    may then be linked; None in production or for an https API, so there every http link stays refused."""
    if not is_development or not api_url.startswith("http://"):
        return None
    authority = re.split(r"[/?#]", api_url[len("http://") :], maxsplit=1)[0]
    return f"http://{authority}" if _AUTHORITY.fullmatch(authority) else None
