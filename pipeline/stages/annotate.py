"""Annotate stage: the only stage that runs the neural model.

Blocks of all articles are streamed through one `nlp.pipe(..., as_tuples=True)`
call; each block is its own Doc, so no sentence or entity crosses a block
boundary. The spaCy Docs are turned into plain records (tokens, sentences,
NER spans in raw offsets) as soon as an article is complete, and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.cache import AnnotationCache, cache_key
from pipeline.records import AnnotatedArticle, CleanArticle, NerSpan, Sentence, Token


def annotate(
    articles: Iterable[CleanArticle],
    nlp: Language,
    *,
    batch_size: int,
    workers: int = 1,
    cache: AnnotationCache | None = None,
    signature: str = "",
    on_done: Callable[[CleanArticle], None] | None = None,
) -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
    """Yield `(article, annotations)` for every article, in any order.

    Args:
        nlp: the loaded model (see `pipeline.nlp.load_nlp`).
        batch_size, workers: passed to `nlp.pipe` (`n_process=workers`).
        cache: where annotations are looked up before and stored after the model.
        signature: the model and settings part of the cache key.
        on_done: called once per article when its annotations are ready.
    """
    ready: list[tuple[CleanArticle, AnnotatedArticle]] = []
    open_articles: dict[str, tuple[CleanArticle, str, list[Doc]]] = {}

    def finish(article: CleanArticle, result: AnnotatedArticle) -> tuple[CleanArticle, AnnotatedArticle]:
        if on_done:
            on_done(article)
        return article, result

    def texts() -> Iterator[tuple[str, tuple[str, int]]]:
        for article in articles:
            key = cache_key(article, signature)
            hit = cache.get(key) if cache else None
            if hit is not None:
                ready.append((article, hit))
            elif not article.blocks:
                ready.append((article, AnnotatedArticle(article.doc_id, (), (), ())))
            else:
                open_articles[article.doc_id] = (article, key, [])
                for i, block in enumerate(article.blocks):
                    yield block.text, (article.doc_id, i)

    for doc, (doc_id, _) in nlp.pipe(texts(), as_tuples=True, batch_size=batch_size, n_process=workers):
        while ready:
            yield finish(*ready.pop())
        article, key, docs = open_articles[doc_id]
        docs.append(doc)
        if len(docs) == len(article.blocks):
            del open_articles[doc_id]
            result = to_records(article, docs)
            if cache:
                cache.put(key, result)
            yield finish(article, result)
    while ready:
        yield finish(*ready.pop())


def to_records(article: CleanArticle, docs: list[Doc]) -> AnnotatedArticle:
    """spaCy Docs of an article's blocks -> one AnnotatedArticle in raw offsets."""
    tokens: list[Token] = []
    sentences: list[Sentence] = []
    entities: list[NerSpan] = []
    for block_id, (block, doc) in enumerate(zip(article.blocks, docs)):
        offset, first = block.raw_start, len(tokens)
        for sent in doc.sents:
            sentence_id = len(sentences)
            sentences.append(
                Sentence(
                    sentence_id=sentence_id,
                    block_id=block_id,
                    start=offset + sent.start_char,
                    end=offset + sent.end_char,
                    token_start=first + sent.start,
                    token_end=first + sent.end,
                )
            )
            for tok in sent:
                tokens.append(
                    Token(
                        start=offset + tok.idx,
                        end=offset + tok.idx + len(tok.text),
                        text=tok.text,
                        lemma=tok.lemma_,
                        pos=tok.pos_,
                        dep=tok.dep_,
                        head=first + tok.head.i,
                        sentence_id=sentence_id,
                    )
                )
        for ent in doc.ents:
            entities.append(NerSpan(first + ent.start, first + ent.end, ent.label_))
    return AnnotatedArticle(article.doc_id, tuple(sentences), tuple(tokens), tuple(entities))
