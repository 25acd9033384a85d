"""Annotate stage: the only stage that runs the neural model.

The blocks of the articles stream into batches of at most `batch_size`
blocks and `batch_chars` characters, cut wherever the limit falls, inside
an article too; each batch goes through `nlp.pipe(..., as_tuples=True)`.
The model's working memory follows the batch, so it is the same for a
1 MB article as for a tweet. Each block is its own Doc, so no sentence or
entity crosses a block boundary (clean cuts a long line into blocks of at
most `clean.max_block_chars` characters). Each Doc is turned into plain
records (tokens, sentences, NER spans in raw offsets) as it comes out of the
model, so at most one batch of Docs is alive at a time, whatever the length
of an article.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy
from spacy.attrs import DEP, HEAD, IDX, LEMMA, LENGTH, POS
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.records import AnnotatedArticle, Block, CleanArticle, NerSpan, Sentence, Token


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
        batch_size, batch_chars: a batch holds at most `batch_size` blocks
            and `batch_chars` characters (0: no limit; a block longer than
            that is a batch of its own); an article's blocks may span
            several batches.
        on_model: called for each article the model annotated (not empty).
    """
    model: Language | None = nlp if isinstance(nlp, Language) else None
    open_articles: dict[int, _ArticleRecords] = {}  # articles with blocks still to come out of the model
    batch: list[tuple[str, int]] = []  # (block text, article number)
    chars = 0

    def run_model() -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
        nonlocal model, chars
        model = model or nlp()
        # one spaCy batch per batch made here, so the limits above are the model's
        for doc, number in model.pipe(batch, as_tuples=True, batch_size=len(batch)):
            records = open_articles[number]
            records.add(doc)
            if records.complete:
                del open_articles[number]
                if on_model:
                    on_model(records.article)
                yield records.article, records.result()
        batch.clear()
        chars = 0

    for number, article in enumerate(articles):
        if not article.blocks:
            yield article, AnnotatedArticle(article.doc_id, (), (), ())
            continue
        open_articles[number] = _ArticleRecords(article)
        for block in article.blocks:
            if batch and (len(batch) >= batch_size or 0 < batch_chars < chars + len(block.text)):
                yield from run_model()
            batch.append((block.text, number))
            chars += len(block.text)
    if batch:
        yield from run_model()


def to_records(article: CleanArticle, docs: Iterable[Doc]) -> AnnotatedArticle:
    """spaCy Docs of an article's blocks -> one AnnotatedArticle in raw offsets."""
    records = _ArticleRecords(article)
    for doc in docs:
        records.add(doc)
    return records.result()


class _ArticleRecords:
    """One article's records, built from the Docs of its blocks as they come, in block order."""

    def __init__(self, article: CleanArticle):
        self.article = article
        self.tokens: list[Token] = []
        self.sentences: list[Sentence] = []
        self.entities: list[NerSpan] = []
        self.names: dict[int, str] = {}  # string hash -> string, looked up once per article
        self.blocks = 0  # blocks added

    @property
    def complete(self) -> bool:
        return self.blocks == len(self.article.blocks)

    def add(self, doc: Doc) -> None:
        """The Doc of the article's next block."""
        block_id = self.blocks
        block: Block = self.article.blocks[block_id]
        self.blocks += 1
        tokens, sentences, names = self.tokens, self.sentences, self.names
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
        self.entities += (NerSpan(first + ent.start, first + ent.end, ent.label_) for ent in doc.ents)

    def result(self) -> AnnotatedArticle:
        return AnnotatedArticle(self.article.doc_id, tuple(self.sentences), tuple(self.tokens), tuple(self.entities))
