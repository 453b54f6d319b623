"""What an SMS body costs in Twilio segments, and how to fold it into GSM-7 so it costs less."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from worker import locales

# 3GPP TS 23.038 default alphabet, index == septet value. 0x1B is the escape to the extension table, not a character.
# 0x09 is the capital Ç as in the ETSI table and in Twilio's own segment calculator (Unicode's GSM0338.TXT maps it
# to the lowercase ç instead): lowercase ç is not GSM-7 here.
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + this septet, so it costs two septets.
EXTENSION_TABLE = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_BASIC = frozenset(BASIC_TABLE) - {"\x1b"}
_EXTENDED = frozenset(EXTENSION_TABLE.values())
_GSM = _BASIC | _EXTENDED

GSM7, UCS2 = "GSM-7", "UCS-2"
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # single message, per part of a multipart message

URL = re.compile(r"https?://\S+", re.IGNORECASE)

# Replacements NFKD does not give (or gives wrongly); every value is GSM-7.
_FOLD_TABLE = {
    **dict.fromkeys("“”„‟«»″〝〞＂", '"'),
    **dict.fromkeys("‘’‚‛′´`‹›", "'"),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    "…": "...",
    "º": "o",
    "ª": "a",
    "°": "o",
    "•": "-",
    "⁄": "/",
    "∕": "/",
    "×": "x",
    "\t": " ",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "œ": "oe",
    "Œ": "OE",
}


@dataclass(frozen=True)
class SmsCost:
    """How Twilio will encode and bill one SMS body."""

    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # len(text) in code points
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for empty text
    per_segment: int  # 160/153 or 70/67 for this text
    non_gsm: tuple[str, ...]  # distinct characters that forced UCS-2, in order of first appearance


def is_gsm(text: str) -> bool:
    """True when the whole text can go as GSM-7 (one other character switches all of it to UCS-2)."""
    return all(ch in _GSM for ch in text)


def _septets(ch: str) -> int:
    """Extension characters take the escape septet plus their own."""
    return 2 if ch in _EXTENDED else 1


def _utf16_units(ch: str) -> int:
    """Characters outside the BMP (most emoji) are a surrogate pair."""
    return 2 if ord(ch) > 0xFFFF else 1


def _pack(sizes: Iterable[int], capacity: int) -> int:
    """Parts needed when a character (escape pair, surrogate pair) is never split across two parts."""
    parts, free = 1, capacity
    for size in sizes:
        if size > free:
            parts, free = parts + 1, capacity
        free -= size
    return parts


def cost(text: str) -> SmsCost:
    """Encoding, size and segment count, so a message's price is known before it is sent."""
    non_gsm = tuple(dict.fromkeys(ch for ch in text if ch not in _GSM))
    encoding = UCS2 if non_gsm else GSM7
    sizes = [_utf16_units(ch) if non_gsm else _septets(ch) for ch in text]
    units = sum(sizes)
    single, multi = LIMITS[encoding]
    if units <= single:
        return SmsCost(encoding, len(text), units, 1 if text else 0, single, non_gsm)
    return SmsCost(encoding, len(text), units, _pack(sizes, multi), multi, non_gsm)


def _missing(ch: str) -> str:
    """A lost letter or number shows as "?" so the reader sees a gap; emoji and marks just go."""
    return "?" if unicodedata.category(ch)[0] in "LN" else ""


def _decomposed(ch: str) -> str:
    """The character without its accents (NFKD), or "" when that is still not GSM-7."""
    parts = unicodedata.normalize("NFKD", ch)
    bare = "".join(_FOLD_TABLE.get(c, c) for c in parts if not unicodedata.combining(c))
    return bare if is_gsm(bare) else ""


def _fold_char(ch: str) -> str:
    """The closest GSM-7 spelling of one character."""
    if ch in _GSM:
        return ch
    if ch in _FOLD_TABLE:
        return _FOLD_TABLE[ch]
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category in ("Zl", "Zp"):
        return "\n"
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    return _decomposed(ch) or _missing(ch)


def _fold_char_tight(ch: str) -> str:
    """Like _fold_char, but never more than 2 septets per UTF-16 unit, so folding can never add a segment."""
    folded = _fold_char(ch)
    budget = 2 * _utf16_units(ch)
    if sum(map(_septets, folded)) <= budget:
        return folded
    if unicodedata.category(ch).startswith("P"):
        return folded[:budget]  # "…" -> ".."
    return _missing(ch)


def _fold_words(text: str, tight: bool) -> str:
    """Fold text that holds no link."""
    fold_char = _fold_char_tight if tight else _fold_char
    return "".join(fold_char(ch) for ch in unicodedata.normalize("NFC", text))


def _fold_outside_links(text: str, tight: bool) -> str:
    """Fold everything but the links, which are copied byte for byte."""
    pieces, start = [], 0
    for link in URL.finditer(text):
        pieces += [_fold_words(text[start : link.start()], tight), link.group()]
        start = link.end()
    pieces.append(_fold_words(text[start:], tight))
    return "".join(pieces)


def fold(text: str) -> str:
    """Rewrite text in GSM-7 (links and digits untouched) so the SMS costs fewer segments; never more."""
    if not all(is_gsm(link) for link in URL.findall(text)):
        return text  # a non-GSM link keeps the SMS in UCS-2, where folding saves nothing and only loses accents
    before = cost(text).segments
    for tight in (False, True):
        folded = _fold_outside_links(text, tight)
        if cost(folded).segments <= before:
            return folded
    return text  # not reached: tight folding is bounded by the original's UTF-16 units


def fold_for_locale(text: str, locale: str, enabled: Mapping[str, bool] | None = None) -> str:
    """Fold Spanish and Portuguese by default, where accents cost most; others only when enabled says so."""
    lang = locales.language(locale)
    defaults = {code: code in locales.FOLD_BY_DEFAULT for code in locales.LOCALES}
    switches = {**defaults, **{locales.language(key): on for key, on in (enabled or {}).items()}}
    return fold(text) if switches.get(lang, False) else text


def _shown(ch: str) -> str:
    """A character as a log reader can see it: invisible ones as U+XXXX."""
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def _plural(count: int, noun: str) -> str:
    """Say "1 segment" but "2 segments"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def describe(text: str, shown: int = 5) -> str:
    """One line for logs and the sandbox: size, encoding and why; never the text itself."""
    c = cost(text)
    encoding = c.encoding
    if c.non_gsm:
        forced = ", ".join(_shown(ch) for ch in c.non_gsm[:shown])
        more = f", +{len(c.non_gsm) - shown} more" if len(c.non_gsm) > shown else ""
        encoding = f"{encoding} (forced by: {forced}{more})"
    return f"{_plural(c.characters, 'char')}, {encoding}, {_plural(c.segments, 'segment')}"
