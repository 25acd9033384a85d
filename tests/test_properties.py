"""Property-based tests: arbitrary Unicode never crashes the cleaner, the
decoder or the name normaliser, and block offsets always map back to the text."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pytest

hypothesis = pytest.importorskip("hypothesis")  # a dev dependency (pip install hypothesis)
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipeline.records import Article  # noqa: E402
from pipeline.stages.clean import (  # noqa: E402
    BoilerplateRules,
    _proper_words,
    clean,
    decapitalize_title_case,
    normalize_chars,
    split_lines,
)
from pipeline.stages.ingest import clean_text, decode, shingles  # noqa: E402
from pipeline.store import data  # noqa: E402
from pipeline.text import fold, name_key  # noqa: E402

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RULES = BoilerplateRules.from_dict(data.read_toml(None, "boilerplate.toml"))
NO_RULES = BoilerplateRules((), ())

# Characters that make the cleaner work: line breaks, odd spaces, quotes,
# bullets, sentence ends, capitals, accents, controls.
TRICKY = list("aZéÉœŒ ÀçİßŉK\n\n\r\t .!?…-–•*'’‘«»\"\u00a0\u202f\u200b\u2028\u0085\x0b\x0c\x1c\x00\u0301\ufeff")
texts = st.text(max_size=400) | st.text(st.sampled_from(TRICKY), max_size=400)
# NFKD or casefold turns these into apostrophes ("ŉ" -> "ʼn"); random text rarely hits them.
MAKE_APOSTROPHES = "\u0149\u1fef\uff40"
names = st.text(max_size=60) | st.text(
    st.sampled_from(list("Kim Jong-un ÉTATS-Unis l’Otan O'Neill . _ ‐ ― ´`ʼ\u00a0\u0301Ǆǅǆ" + MAKE_APOSTROPHES)),
    max_size=40,
)


# ------------------------------------------------------------ cleaner


@FAST
@given(texts)
def test_normalize_chars_keeps_length_and_is_idempotent(text):
    once = normalize_chars(text)
    assert len(once) == len(text)
    assert normalize_chars(once) == once
    assert not set(once) & set("\u2019\u2018\u02bc\u00b4\u201c\u201d\u00a0\u202f\u2009\u2007\u200b\t")


@FAST
@given(texts, st.sets(st.text(min_size=1, max_size=10), max_size=5))
@example("Une Coopération Militaire au Cœur des Discussions", set())
@example("Poutine Prépare Une Visite Choc En Corée Du Nord", {"Poutine", "Corée", "Nord"})
def test_decapitalize_only_lowercases_letters_and_keeps_length(heading, proper):
    out = decapitalize_title_case(heading, proper)
    assert len(out) == len(heading)
    assert all(a == b or a == b.lower() for a, b in zip(out, heading))
    assert decapitalize_title_case(out, proper) == out
    assert out[:1] == heading[:1]  # the first character keeps its case


@FAST
@given(texts, st.integers(min_value=1, max_value=60))
def test_split_lines_spans_cover_every_visible_character(text, max_chars):
    spans = split_lines(text, max_chars)
    covered: set[int] = set()
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert end - start <= max_chars
        assert "\n" not in text[start:end] and not text[start].isspace()
        covered.update(range(start, end))
        previous_end = end
    assert [i for i, c in enumerate(text) if not c.isspace() and i not in covered] == []


def _check_blocks(raw: str, blocks, max_chars: int) -> None:
    previous_end = 0
    for block in blocks:
        original = raw[block.raw_start : block.raw_end]
        assert previous_end <= block.raw_start < block.raw_end <= len(raw)
        assert len(block.text) == block.raw_end - block.raw_start <= max_chars
        normalised = normalize_chars(original)
        if block.kind == "heading":  # Title Case words may be lowercased, nothing else
            assert all(a == b or a == b.lower() for a, b in zip(block.text, normalised))
            assert block.text.lower() == normalised.lower()
        else:
            assert block.text == normalised
        previous_end = block.raw_end


@FAST
@given(texts, st.booleans(), st.integers(min_value=1000, max_value=3000))
def test_clean_offsets_map_back_to_the_raw_text(raw, furniture_rules, max_chars):
    article = Article("d", "d.txt", "", "", "", raw)
    result = clean(article, RULES if furniture_rules else NO_RULES, max_block_chars=max_chars)
    assert result.article is article
    _check_blocks(raw, result.blocks, max_chars)


@FAST
@given(st.lists(st.text(st.sampled_from(TRICKY), min_size=1, max_size=80), min_size=1, max_size=40))
def test_clean_offsets_hold_for_long_lines_cut_into_blocks(words):
    raw = " ".join(words) * 30  # long lines, cut at max_block_chars
    result = clean(Article("d", "d.txt", "", "", "", raw), RULES, max_block_chars=1000)
    _check_blocks(raw, result.blocks, 1000)


@FAST
@given(st.binary(max_size=400))
def test_decoded_offsets_map_back_through_clean(data):
    """Bytes -> decode (or UnicodeError, nothing else) -> clean: offsets index the decoded text."""
    try:
        text = decode(data)
    except UnicodeError:
        return
    assert text == unicodedata.normalize("NFC", text)
    _check_blocks(text, clean(Article("d", "d.txt", "", "", "", text), RULES).blocks, 20_000)


@FAST
@given(st.lists(texts, max_size=4))
@example(["Il a dit “Bonjour” à Kim.", "Fin.\u200bLa Russie", "« Moscou » et\u00a0 Séoul", "x l’Otan d'Europe"])
def test_proper_words_follow_their_definition(paragraphs):
    """Words with a capital whose previous non-space character (in the raw
    text) is not a sentence end, elision stripped."""
    expected = set()
    for text in paragraphs:
        for m in re.finditer(r"[^\W\d_][\w'’-]*", normalize_chars(text)):
            before = text[: m.start()].rstrip()
            if m.group()[0].isupper() and before and before[-1] not in '.!?:«"':
                expected.add(re.sub(r"^[lLdDjJ]['’]", "", m.group()))
    assert _proper_words(paragraphs) == expected
    assert _proper_words(paragraphs) == expected  # remembered: the same again


# ------------------------------------------------------------ shingles


def _shingles_by_definition(text: str, k: int) -> set[int]:
    """BLAKE2b of the k-grams of \\w+ words, case folded, NFD with accents removed."""
    folded = re.sub("[\u0300-\u036f]", "", unicodedata.normalize("NFD", text.casefold()))
    words = re.findall(r"\w+", folded)
    grams = {" ".join(words[i : i + k]) for i in range(max(len(words) - k + 1, 1))} if words else set()
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams}


@FAST
@given(texts | st.text(st.sampled_from(list("aeiEİıßŉǅﬁΣς _-'’·\u0301\u0345\u05b0\u0e38\u1dc0\u00a8½²")), max_size=80))
@example("La Corée du Nord, selon Séoul.")
@example("e\u0301\u0345\u0301 ǅ ﬁn İstanbul ½ x²")
def test_shingles_follow_their_definition(text):
    for k in (1, 2, 5):
        assert shingles(text, k) == _shingles_by_definition(text, k)
        assert shingles(text, k) == _shingles_by_definition(text, k)  # remembered: the same again


# ------------------------------------------------------------ decoder


@FAST
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=300))
def test_decode_reads_utf8_and_utf16_back(text):
    for magic in ("GIF87a", "GIF89a", "%PDF-", "\ufeff"):  # read as file signatures / a BOM
        if text.startswith(magic):
            return
    expected = unicodedata.normalize("NFC", text)
    assert decode(text.encode("utf-8")) == expected
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == expected
    assert decode(b"\xff\xfe" + text.encode("utf-16-le")) == expected


@FAST
@given(st.text(max_size=300))
def test_clean_text_keeps_length_of_nfc_text_and_drops_controls(text):
    text = unicodedata.normalize("NFC", text)
    out = clean_text(text)
    assert len(out) == len(text)
    assert not [c for c in out if unicodedata.category(c) == "Cc" and c not in "\t\n\r"]


# ------------------------------------------------------- name normaliser


@FAST
@given(names)
@example("Kim Jong-un")
@example("ÉTATS-UNIS")
@example("l’Otan")
def test_name_key_is_idempotent(name):
    key = name_key(name)
    assert name_key(key) == key
    assert key == key.strip() and "  " not in key and "-" not in key
    assert fold(fold(name)) == fold(name)


@pytest.mark.parametrize("variants", [("Kim Jong Un", "Kim Jong-un", "KIM JONG-UN"), ("Etats-Unis", "États-Unis")])
def test_name_key_ignores_case_accents_and_hyphens(variants):
    assert len({name_key(v) for v in variants}) == 1
    assert name_key("Kim Jong-il") != name_key("Kim Jong-un")


@pytest.mark.parametrize("char", list(MAKE_APOSTROPHES), ids=["U+0149", "U+1FEF", "U+FF40"])
def test_name_key_is_idempotent_where_folding_makes_apostrophes(char):
    assert name_key(name_key(char)) == name_key(char)
    assert fold(fold(char)) == fold(char)
