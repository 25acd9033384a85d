"""Small text helpers shared by the stages: name folding for matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.]+")
# Words and names repeat massively across a corpus: fold each distinct one once.
_CACHE_SIZE = 1 << 16


def strip_accents(text: str) -> str:
    """ "Corée" -> "Coree"; characters without a base letter are kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=_CACHE_SIZE)
def fold(text: str) -> str:
    """Case- and accent-insensitive form of a word: "Échiquier" -> "echiquier".

    Apostrophes are unified after decomposing and case-folding too, since
    those can produce new ones ("ŉ" -> "ʼn"); so fold(fold(x)) == fold(x).
    Folding goes character by character: fold(a + b) == fold(a) + fold(b).
    """
    if text.isascii():
        # NFKD and casefold change nothing in ASCII but the case; "`" is its only apostrophe to unify
        return text.lower().replace("`", "'")
    return strip_accents(text.translate(_APOSTROPHES)).casefold().translate(_APOSTROPHES)


@lru_cache(maxsize=_CACHE_SIZE)
def name_key(name: str) -> str:
    """The key under which names are matched.

    Case, accents, hyphens vs spaces, dots and apostrophe styles do not count:
    "Kim Jong Un", "Kim Jong-un" and "KIM JONG-UN" share one key, and so do
    "Etats-Unis" and "États-Unis"; "Kim Jong-il" keeps a different one.
    """
    return _SEPARATORS.sub(" ", fold(name)).strip()
