"""SMS segment counting and GSM-7 folding: the cases Twilio bills differently."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.security.conftest import FIXED
from worker.sms_text import BASIC_TABLE, EXTENSION_TABLE, URL, cost, describe, fold, fold_for_locale, is_gsm

LINK = "https://api.shippify.co/track/t-shiinc-27946?token=AbCdEf123456&ref=server"


@pytest.mark.parametrize(
    ("code", "char"),
    [(0x00, "@"), (0x02, "$"), (0x09, "Ç"), (0x11, "_"), (0x1C, "Æ"), (0x24, "¤"), (0x40, "¡"), (0x5F, "§")]
    + [(0x60, "¿"), (0x7D, "ñ"), (0x7F, "à")],
)
def test_basic_table_positions_follow_the_spec(code: int, char: str) -> None:
    assert len(BASIC_TABLE) == 128
    assert BASIC_TABLE[code] == char


def test_extension_table() -> None:
    assert EXTENSION_TABLE[0x65] == "€"
    assert sorted(EXTENSION_TABLE.values()) == sorted("\f^{}\\[~]|€")


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments", "per_segment"),
    [
        ("", "GSM-7", 0, 0, 160),
        ("a" * 160, "GSM-7", 160, 1, 160),
        ("a" * 161, "GSM-7", 161, 2, 153),
        ("a" * 306, "GSM-7", 306, 2, 153),
        ("a" * 307, "GSM-7", 307, 3, 153),
        ("€" * 80, "GSM-7", 160, 1, 160),
        ("€" * 81, "GSM-7", 162, 2, 153),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3, 153),  # the escape pair may not straddle parts
        ("á" * 70, "UCS-2", 70, 1, 70),
        ("á" * 71, "UCS-2", 71, 2, 67),
        ("á" * 134, "UCS-2", 134, 2, 67),
        ("á" * 135, "UCS-2", 135, 3, 67),
        ("😀" * 35, "UCS-2", 70, 1, 70),
        ("😀" * 36, "UCS-2", 72, 2, 67),
        ("á" * 66 + "😀" + "á" * 66, "UCS-2", 134, 3, 67),  # the surrogate pair may not straddle parts
    ],
)
def test_cost(text: str, encoding: str, units: int, segments: int, per_segment: int) -> None:
    c = cost(text)
    assert (c.encoding, c.characters, c.units, c.segments, c.per_segment) == (
        encoding,
        len(text),
        units,
        segments,
        per_segment,
    )


@pytest.mark.parametrize("char", ["ñ", "Ñ", "é", "É", "ü", "à", "Ç", "¿", "¡", "€", "\n"])
def test_gsm_letters_keep_gsm7(char: str) -> None:
    assert cost(f"Pedido {char} 12").encoding == "GSM-7"
    assert cost(f"Pedido {char} 12").non_gsm == ()


@pytest.mark.parametrize("char", ["á", "í", "ó", "ú", "ã", "õ", "ô", "ê", "â", "ç", "Á", "Ã", "😀", "\u00a0"])
def test_other_letters_force_ucs2(char: str) -> None:
    c = cost(f"Pedido {char} 12")
    assert (c.encoding, c.non_gsm) == ("UCS-2", (char,))


def test_non_gsm_lists_distinct_characters_in_order() -> None:
    assert cost("ação e informação, olá").non_gsm == ("ç", "ã", "á")


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("", "0 chars, GSM-7, 0 segments"),
        ("a" * 152, "152 chars, GSM-7, 1 segment"),
        ("á" + "ã" * 160, "161 chars, UCS-2 (forced by: á, ã), 3 segments"),
        ("a\u00a0b", "3 chars, UCS-2 (forced by: U+00A0), 1 segment"),
        ("áíóúâ ê", "7 chars, UCS-2 (forced by: á, í, ó, ú, â, +1 more), 1 segment"),
    ],
)
def test_describe(text: str, summary: str) -> None:
    assert describe(text) == summary


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        (
            f"¡Hola Iliana! Tu pedido de Tienda Demo está en camino y llegará hoy. Síguelo aquí: {LINK}",
            f"¡Hola Iliana! Tu pedido de Tienda Demo esta en camino y llegara hoy. Siguelo aqui: {LINK}",
        ),
        (
            f"Olá João! Seu pedido nº 4521 está a caminho — chegará às 15h… Informações: {LINK}",
            f"Ola Joao! Seu pedido no 4521 esta a caminho - chegara às 15h... Informacoes: {LINK}",
        ),
        ("Niño, pingüino, café, à", "Niño, pingüino, café, à"),
        ("ÁÍÓÚÊÔÃÕÂ Ç ç", "AIOUEOAOA Ç c"),
        ("“Sí” ‘ok’ „x‟ «y» – 1ª 2º", '"Si" \'ok\' "x" "y" - 1a 2o'),
        ("a\u00a0b\u2009c\u202fd\te", "a b c d e"),
        ("Listo 🎉 gracias", "Listo  gracias"),
        ("Calle 中 12", "Calle ? 12"),
        ("cafe\u0301", "café"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert cost(folded).encoding == "GSM-7"


def test_fold_keeps_links_byte_identical() -> None:
    link = "https://exemplo.com.br/rastreio/São-Paulo?token=Xy9&ref=server"
    text = f"Olá! Seu pedido está a caminho: {link} obrigado"
    assert fold(text) == text  # the link keeps it UCS-2 anyway: folding would only lose accents
    gsm_link = "https://exemplo.com/señal/é?token=Ab1&ref=server"
    assert fold(f"Está aquí: {gsm_link} ¡gracias!") == f"Esta aqui: {gsm_link} ¡gracias!"


def test_fold_never_costs_more() -> None:
    text = "…" * 60  # "..." each would need 180 septets, 2 segments
    assert cost(text).segments == 1
    assert fold(text) == ".." * 60
    assert cost(fold(text)).segments == 1


@pytest.mark.parametrize(
    ("locale", "enabled", "expected"),
    [
        ("es", None, "Llegara hoy"),
        ("es-EC", None, "Llegara hoy"),
        ("pt_BR", None, "Llegara hoy"),
        ("pr", None, "Llegara hoy"),
        ("en", None, "Llegará hoy"),
        ("fr", None, "Llegará hoy"),
        ("en", {"en": True}, "Llegara hoy"),
        ("es", {"es": False}, "Llegará hoy"),
        ("pt-BR", {"pt_BR": False}, "Llegará hoy"),
    ],
)
def test_fold_for_locale(locale: str, enabled: dict[str, bool] | None, expected: str) -> None:
    assert fold_for_locale("Llegará hoy", locale, enabled) == expected


_REALISTIC = "aáãçõôêñéüàÇ€^[ 0123456789…“”–—º\u00a0\t\n😀👍🏽中"
_any_char = st.characters(exclude_categories=["Cs"])
_chars = st.one_of(st.sampled_from(_REALISTIC), _any_char)
_words = st.text(_chars, max_size=40)
_link_chars = st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))
_links = st.builds(lambda path: LINK + path, st.text(_link_chars, max_size=8))
_messages = st.lists(st.one_of(_words, _links), max_size=12)


def _links_in_order(links: list[str], text: str) -> bool:
    position = 0
    for link in links:
        position = text.find(link, position)
        if position < 0:
            return False
        position += len(link)
    return True


def _digits_kept(text: str, folded: str) -> bool:
    digits = iter(re.sub("[^0-9]", "", folded))
    return all(d in digits for d in re.sub("[^0-9]", "", text))


@settings(FIXED, max_examples=300)  # the suite's fixed order: bounded time, failures that reproduce
@given(_messages)
def test_fold_properties(pieces: list[str]) -> None:
    text = " ".join(pieces)
    folded = fold(text)
    links = [p for p in pieces if p.startswith(LINK)]
    assert _links_in_order(links, folded)
    assert _digits_kept(text, folded)
    assert cost(folded).segments <= cost(text).segments
    if all(is_gsm(link) for link in URL.findall(text)):
        assert cost(folded).encoding == "GSM-7"
