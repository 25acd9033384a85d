"""Name folding: the remembered fast paths agree with the definition, and the
keys of a text and of its continuation line up (the linker's scan relies on it)."""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")  # a dev dependency (pip install hypothesis)
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipeline.text import fold, name_key, strip_accents  # noqa: E402

FAST = settings(max_examples=300, deadline=None)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
# accents, ligatures, final sigma, separators, apostrophes and what folds into them
TRICKY = list("aZéÉœŒ ÀçİßŉǅﬁΣς `'’ʼ´-‐―_.\u00a0\u0301\u0345\u1fef\uff40")
texts = st.text(max_size=40) | st.text(st.sampled_from(TRICKY), max_size=30)


def fold_by_definition(text: str) -> str:
    return strip_accents(text.translate(_APOSTROPHES)).casefold().translate(_APOSTROPHES)


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Échiquier", "echiquier"), ("KIM", "kim"), ("l`Otan", "l'otan"), ("l’Otan", "l'otan"), ("ŉ", "'n"), ("", "")],
)
def test_fold(text, folded):
    assert fold(text) == folded
    assert fold(text) == folded  # remembered: the same again


@FAST
@given(texts | st.text(st.characters(max_codepoint=127), max_size=40))
@example("`Kim` O'Neill")
def test_fold_follows_its_definition(text):
    assert fold(text) == fold_by_definition(text)


@FAST
@given(texts, texts)
@example("Kim Jong", "-un")
@example("États-", "-Unis")
@example(" ", "Kim")
def test_keys_of_a_text_start_the_keys_of_its_continuations(a, b):
    assert fold(a + b) == fold(a) + fold(b)
    assert name_key(a + b).startswith(name_key(a))
