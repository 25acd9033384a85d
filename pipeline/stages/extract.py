"""One article's extraction after the model: linked mentions, typed relations, the rows it adds.

`article_result` is what every executor runs per article once the article is
annotated, and what the per-article cache keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.kb import KnowledgeBase
from pipeline.records import (
    AnnotatedArticle,
    ArticleResult,
    BlockRow,
    CleanArticle,
    DocumentRow,
    Mention,
    Relation,
    SentenceRow,
)
from pipeline.stages.link import LinkRules, link_article
from pipeline.stages.relations import RelationRules, extract_relations


@dataclass(frozen=True)
class Linking:
    """What linking and relation extraction read, beside the article: the same for every article of a run."""

    kb: KnowledgeBase
    link_rules: LinkRules
    relation_rules: RelationRules
    relations: bool  # extract typed relations (needs the dependency parse)
    today: str  # ISO date for roles of articles without a date


def article_result(article: CleanArticle, ann: AnnotatedArticle, linking: Linking) -> ArticleResult:
    """Mentions, relations and rows of one annotated article."""
    a = article.article
    mentions = link_article(article, ann, linking.kb, linking.link_rules, today=linking.today)
    relations = article_relations(article, ann, mentions, linking) if linking.relations else []
    evidence = []
    for sid in sorted(shared_sentences(mentions)):
        s = ann.sentences[sid]
        evidence.append((sid, a.raw_text[s.start : s.end]))
    status = "ok" if article.blocks else "empty"
    return ArticleResult(
        document=DocumentRow(
            a.doc_id, a.source, a.title, a.date, a.url, len(a.raw_text), len(ann.sentences), len(mentions), status, ""
        ),
        blocks=tuple(BlockRow(a.doc_id, i, b.kind, b.raw_start, b.raw_end) for i, b in enumerate(article.blocks)),
        sentences=tuple(SentenceRow(a.doc_id, s.sentence_id, s.block_id, s.start, s.end) for s in ann.sentences),
        mentions=tuple(mentions),
        relations=tuple(relations),
        evidence=tuple(evidence),
    )


def article_relations(
    article: CleanArticle, ann: AnnotatedArticle, mentions: list[Mention], linking: Linking
) -> list[Relation]:
    """Typed relations of one article (they need the dependency parse).

    A capital or seat that stands for its state in a sentence ("les
    États-Unis accusent Pyongyang") is the state in that sentence's relations.
    """
    found = extract_relations(ann, mentions, article.article.raw_text, linking.relation_rules)
    stands_for = {(m.sentence_id, m.entity_id): m.refers_to for m in mentions if m.refers_to}
    return [
        replace(
            r,
            subject=stands_for.get((r.sentence_id, r.subject), r.subject),
            object=stands_for.get((r.sentence_id, r.object), r.object),
        )
        for r in found
        if stands_for.get((r.sentence_id, r.subject), r.subject) != stands_for.get((r.sentence_id, r.object), r.object)
    ]


def shared_sentences(mentions: list[Mention]) -> set[int]:
    """Sentences naming at least two distinct entities (their text is evidence)."""
    ids: dict[int, set[str]] = {}
    for m in mentions:
        ids.setdefault(m.sentence_id, set()).add(m.entity_id)
    return {sid for sid, entities in ids.items() if len(entities) > 1 and sid >= 0}
