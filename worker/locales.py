"""The locales messages and the console come in, the codes Shippify may send for them, and which fold SMS: one
table each, used by settings, rendering, SMS folding and the previews."""

LOCALES = ("es", "pt", "en")
# Codes seen in `cityLang` and locale settings that mean one of ours: an old Shippify API said "pr" for Portuguese,
# and "br" (Brazil) turns up where a country code was meant.
ALIASES = {"pr": "pt", "br": "pt"}
# Locales whose SMS are folded to GSM-7 when SMS_FOLD_LOCALES is not set: accents cost most in Spanish and
# Portuguese (one accent makes a whole SMS UCS-2, 70 characters a segment instead of 160).
FOLD_BY_DEFAULT = frozenset({"es", "pt"})


def language(code: str) -> str:
    """The primary language of "es-EC", "pt_BR", "PT" or "pr", aliases resolved (maybe not one of ours)."""
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return ALIASES.get(primary, primary)


def resolve(hint: object, default: str) -> str:
    """`cityLang` (es, pt, pt-BR, pr, en...) to one of our locales, else the default."""
    if isinstance(hint, str) and hint.strip():
        code = language(hint)
        if code in LOCALES:
            return code
    return default
