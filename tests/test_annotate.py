"""The annotate stage with the real model: records in raw offsets, one Doc
per block, and the per-article cache."""

from __future__ import annotations

import pytest

from pipeline.nlp import load_nlp
from pipeline.records import Article, Block, CleanArticle
from pipeline.stages.annotate import annotate

RAW = "Titre : Poutine à Pyongyang\n\n    Vladimir Poutine a rencontré Kim Jong-un. Ils ont signé un accord.\n"


def _article(doc_id: str = "d") -> CleanArticle:
    first = RAW.index("Titre")
    second = RAW.index("Vladimir")
    return CleanArticle(
        Article(doc_id, "", "", "", "", RAW),
        (
            Block("heading", RAW[first : RAW.index("\n")], first, RAW.index("\n")),
            Block("paragraph", RAW[second:].rstrip("\n"), second, len(RAW.rstrip("\n"))),
        ),
    )


def test_tokens_sentences_and_entities_are_in_raw_offsets(nlp):
    article = _article()
    [(_, ann)] = list(annotate([article], nlp, batch_size=4))
    for tok in ann.tokens:
        assert RAW[tok.start : tok.end] == tok.text
    # no sentence crosses a block boundary
    for s in ann.sentences:
        block = article.blocks[s.block_id]
        assert block.raw_start <= s.start < s.end <= block.raw_end
    assert [RAW[s.start : s.end] for s in ann.sentences if s.block_id == 1] == [
        "Vladimir Poutine a rencontré Kim Jong-un.",
        "Ils ont signé un accord.",
    ]
    names = {RAW[ann.tokens[e.token_start].start : ann.tokens[e.token_end - 1].end] for e in ann.entities}
    assert {"Vladimir Poutine", "Kim Jong-un"} <= names
    assert all(ann.tokens[t.head].sentence_id == t.sentence_id for t in ann.tokens)


def _no_model():
    raise AssertionError("the model was loaded for a cached article")


def test_the_model_is_loaded_only_for_an_article_with_content(nlp):
    empty = CleanArticle(Article("e", "", "", "", "", "  "), ())
    assert [ann.tokens for _, ann in annotate([empty], _no_model, batch_size=4)] == [()]
    done = []
    list(annotate([empty, _article()], lambda: nlp, batch_size=4, on_model=done.append))
    assert [a.doc_id for a in done] == [_article().doc_id]


def test_article_without_blocks_gets_empty_annotations(nlp):
    empty = CleanArticle(Article("e", "", "", "", "", "  "), ())
    [(_, ann)] = list(annotate([empty], nlp, batch_size=4))
    assert (ann.doc_id, ann.tokens, ann.sentences, ann.entities) == ("e", (), (), ())


def test_a_model_that_is_not_installed_is_a_clear_error():
    with pytest.raises(OSError, match="spaCy model 'fr_no_such_model' is not installed"):
        load_nlp("fr_no_such_model")


def test_batches_hold_at_most_batch_chars_characters(nlp, monkeypatch):
    """The model's working memory follows the text of a batch: it is capped in characters."""
    calls = []
    pipe = type(nlp).pipe

    def counting_pipe(self, texts, **kwargs):
        if kwargs.get("as_tuples"):  # the call annotate makes (spaCy then calls itself with the texts)
            texts = list(texts)
            calls.append(sum(len(text) for text, _ in texts))
        return pipe(self, texts, **kwargs)

    monkeypatch.setattr(type(nlp), "pipe", counting_pipe)
    articles = [_article(f"a{i}") for i in range(6)]
    size = sum(len(b.text) for b in articles[0].blocks)
    done = list(annotate(articles, nlp, batch_size=256, batch_chars=2 * size))
    assert sorted(a.doc_id for a, _ in done) == [f"a{i}" for i in range(6)]
    assert calls == [2 * size] * 3
