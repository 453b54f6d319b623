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


def canonical(url: object, hosts: Collection[str] | None = None) -> str | None:
    """`url` when it is in canonical form (and, given `hosts`, on one of them exactly); None otherwise."""
    host = canonical_host(url)
    if host is None or (hosts is not None and host not in hosts):
        return None
    return str(url)


def canonical_host(url: object) -> str | None:
    """The host of a canonical https link, or None: printable ASCII without spaces or backslashes, `https://`
    exactly, then an authority that is a lower-case host name and an optional port, then a path, query or nothing."""
    if not isinstance(url, str) or len(url) > MAX_LENGTH or not _VISIBLE_ASCII.fullmatch(url) or "\\" in url:
        return None
    if not url.startswith("https://"):
        return None
    authority = re.split(r"[/?#]", url[len("https://") :], maxsplit=1)[0]
    found = _AUTHORITY.fullmatch(authority)
    if found is None:
        return None
    host = found.group("host")
    return host if urlsplit(url).hostname == host else None


def shippify_hosts(api_url: str) -> frozenset[str]:
    """Hosts whose links a webhook body may carry: Shippify's own, and that of the API the notifier is set up with."""
    configured = urlsplit(api_url).hostname
    return frozenset({SHIPPIFY_HOST, configured} if configured else {SHIPPIFY_HOST})
