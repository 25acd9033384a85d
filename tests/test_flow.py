"""The flow's own pieces: the work before the model (`prepare_article`) and batching."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.flow import PrepareContext, batches, prepare_article, prepare_batch
from pipeline.records import Article, Block, CleanArticle
from pipeline.stages.clean import clean
from pipeline.stages.ingest import shingles

FRENCH = (
    "Vladimir Poutine a rencontré Kim Jong-un mardi à Pyongyang. Les deux dirigeants ont signé un accord "
    "de défense mutuelle, le premier de cette ampleur depuis la fin de la guerre froide, selon les agences "
    "de presse des deux pays qui ont publié le texte dans la soirée.\n"
)
ENGLISH = (
    "Vladimir Putin met Kim Jong Un in Pyongyang on Tuesday. The two leaders signed a mutual defence pact, "
    "the first of its kind since the end of the Cold War, according to the news agencies of both countries, "
    "which published the text in the evening. Both sides promised to help each other if attacked, and "
    "officials in Seoul and Tokyo said they were deeply concerned by the agreement.\n"
)


@pytest.fixture
def context(boilerplate_rules) -> PrepareContext:
    return PrepareContext(boilerplate_rules, french_only=True, max_block_chars=20_000)


def test_a_french_article_is_cleaned_with_the_shingles_of_its_blocks(context):
    article = Article("fr", "fr.txt", "", "", "", FRENCH)
    prepared = prepare_article(article, context)
    assert prepared.french and prepared.blocks == clean(article, context.rules).blocks
    assert set(prepared.shingles) == shingles(" ".join(b.text for b in prepared.blocks))
    assert list(prepared.shingles) == sorted(prepared.shingles)  # the same bytes in every cache entry


def test_an_article_not_in_french_is_neither_cleaned_nor_shingled(context):
    prepared = prepare_article(Article("en", "en.txt", "", "", "", ENGLISH), context)
    assert (prepared.french, prepared.language, prepared.blocks, prepared.shingles) == (False, "en", (), ())
    assert prepared.confidence > 0.5
    kept = prepare_article(Article("en", "en.txt", "", "", "", ENGLISH), replace(context, french_only=False))
    assert kept.french and kept.blocks


def test_a_batch_gives_none_for_an_article_that_cannot_be_cleaned(context):
    broken = Article("x", "x.txt", "", "", "", None)  # type: ignore[arg-type] - not a text
    outcomes, seconds = prepare_batch(context, [Article("fr", "fr.txt", "", "", "", FRENCH), broken])
    assert outcomes[0] is not None and outcomes[1] is None and seconds["clean"] >= 0


def _items(n: int) -> list[tuple[CleanArticle]]:
    block = Block("paragraph", "texte", 0, 5)
    return [(CleanArticle(Article(f"d{i}", "", "", "", "", "texte"), (block,)),) for i in range(n)]


def test_the_first_batch_may_be_smaller_than_the_others():
    sizes = [len(b) for b in batches(_items(10), blocks=4, chars=10**6, first=1)]
    assert sizes == [1, 4, 4, 1]
    assert [len(b) for b in batches(_items(10), blocks=4, chars=10**6)] == [4, 4, 2]
    assert [len(b) for b in batches(_items(10), blocks=100, chars=10**6, articles=3, first=2)] == [2, 3, 3, 2]
