"""Annotate stage: the only stage that runs the neural model.

Articles are gathered until their blocks fill one
batch (a number of blocks or of characters), which goes through `nlp.pipe(..., as_tuples=True)`; each block is its
own Doc, so no sentence or entity crosses a block boundary. The spaCy Docs
are turned into plain records (tokens, sentences, NER spans in raw offsets)
as soon as an article is complete: at most one batch of Docs is alive at a
time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy
from spacy.attrs import DEP, HEAD, IDX, LEMMA, LENGTH, POS
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.records import AnnotatedArticle, CleanArticle, NerSpan, Sentence, Token


def annotate(
    articles: Iterable[CleanArticle],
    nlp: Language | Callable[[], Language],
    *,
    batch_size: int,
    batch_chars: int = 0,
    on_model: Callable[[CleanArticle], None] | None = None,
) -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
    """Yield `(article, annotations)` for every article, in any order.

    Args:
        nlp: the loaded model (see `pipeline.nlp.load_nlp`), or a function
            that loads it at the first article with content.
        batch_size, batch_chars: articles are gathered until their blocks
            reach `batch_size` blocks or `batch_chars` characters (0: no
            limit), then go through `nlp.pipe` together.
        on_model: called for each article the model annotated (not empty).
    """
    model: Language | None = nlp if isinstance(nlp, Language) else None
    waiting: list[CleanArticle] = []  # articles for the model, one batch
    size = [0, 0]  # blocks and characters waiting

    def run_model() -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
        nonlocal model
        model = model or nlp()
        texts = ((block.text, i) for i, article in enumerate(waiting) for block in article.blocks)
        docs: list[Doc] = []
        for doc, i in model.pipe(texts, as_tuples=True, batch_size=batch_size):
            docs.append(doc)
            article = waiting[i]
            if len(docs) == len(article.blocks):
                result = to_records(article, docs)
                docs = []
                if on_model:
                    on_model(article)
                yield article, result
        waiting.clear()
        size[:] = [0, 0]

    for article in articles:
        if not article.blocks:
            done = [(article, AnnotatedArticle(article.doc_id, (), (), ()))]
        else:
            waiting.append(article)
            size[0] += len(article.blocks)
            size[1] += sum(len(b.text) for b in article.blocks)
            full = size[0] >= batch_size or 0 < batch_chars <= size[1]
            done = run_model() if full else []
        yield from done
    if waiting:
        yield from run_model()


def to_records(article: CleanArticle, docs: list[Doc]) -> AnnotatedArticle:
    """spaCy Docs of an article's blocks -> one AnnotatedArticle in raw offsets."""
    tokens: list[Token] = []
    sentences: list[Sentence] = []
    entities: list[NerSpan] = []
    names: dict[int, str] = {}  # string hash -> string, looked up once per article

    for block_id, (block, doc) in enumerate(zip(article.blocks, docs)):
        offset, first = block.raw_start, len(tokens)
        # one array read per block, whole columns at a time: no Python object per token and attribute
        array = doc.to_array([IDX, LENGTH, LEMMA, POS, DEP, HEAD])
        idx, lengths, lemmas, pos, deps = array[:, :5].T.tolist()
        # HEAD is relative to the token (stored as uint64): made absolute in the article's token list
        heads = (array[:, 5].astype(numpy.int64) + numpy.arange(first, first + len(doc))).tolist()
        names.update((h, doc.vocab.strings[h]) for h in {*lemmas, *pos, *deps} if h not in names)
        sentence_ids: list[int] = []
        for sent in doc.sents:  # they cover the block's tokens in order
            sentence_ids += [len(sentences)] * (sent.end - sent.start)
            sentences.append(
                Sentence(
                    len(sentences),
                    block_id,
                    offset + sent.start_char,
                    offset + sent.end_char,
                    first + sent.start,
                    first + sent.end,
                )
            )
        text = doc.text
        tokens += map(
            Token,
            [offset + i for i in idx],
            [offset + i + n for i, n in zip(idx, lengths)],
            [text[i : i + n] for i, n in zip(idx, lengths)],
            [names[h] for h in lemmas],
            [names[h] for h in pos],
            [names[h] for h in deps],
            heads,
            sentence_ids,
        )
        for ent in doc.ents:
            entities.append(NerSpan(first + ent.start, first + ent.end, ent.label_))
    return AnnotatedArticle(article.doc_id, tuple(sentences), tuple(tokens), tuple(entities))
