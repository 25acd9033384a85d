"""Relate stage: linked mentions -> weighted co-occurrence edges.

Computed with table operations (pandas), never a Python loop over all pairs:
the distinct (window, entity) rows are joined with themselves on the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from pipeline.records import Cooccurrence, Mention


def mention_frame(mentions: Iterable[Mention], *, fold_metonyms: bool = False) -> pd.DataFrame:
    """Mentions as a table; with `fold_metonyms` a capital or seat used for its
    state counts as the state."""
    df = pd.DataFrame(
        [(m.doc_id, m.sentence_id, m.entity_id, m.refers_to) for m in mentions],
        columns=["doc_id", "sentence_id", "entity_id", "refers_to"],
    )
    if fold_metonyms and not df.empty:
        df["entity_id"] = df["refers_to"].where(df["refers_to"] != "", df["entity_id"])
    return df


def cooccurrences(mentions: pd.DataFrame, *, n_windows: int, min_weight: int = 1) -> list[Cooccurrence]:
    """Sentence-window co-occurrence of entities.

    Args:
        mentions: columns doc_id, sentence_id, entity_id (see `mention_frame`).
        n_windows: how many sentences the corpus has (for PMI).
        min_weight: edges sharing fewer windows are dropped.

    Per pair (source < target): weight = sentences mentioning both (an entity
    mentioned twice in one sentence counts once; no self-pairs), documents =
    articles with such a sentence, npmi = normalised pointwise mutual
    information of the two entities over sentences.
    """
    if mentions.empty or n_windows <= 0:
        return []
    windows = mentions[["doc_id", "sentence_id", "entity_id"]].drop_duplicates()
    per_entity = windows.groupby("entity_id").size()
    pairs = windows.merge(windows, on=["doc_id", "sentence_id"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["entity_id_a"] < pairs["entity_id_b"]]
    edges = (
        pairs.groupby(["entity_id_a", "entity_id_b"])
        .agg(weight=("sentence_id", "size"), documents=("doc_id", "nunique"))
        .reset_index()
    )
    edges = edges[edges["weight"] >= min_weight].sort_values(["entity_id_a", "entity_id_b"])
    out = []
    for a, b, weight, documents in edges.itertuples(index=False):
        out.append(
            Cooccurrence(
                source=a,
                target=b,
                weight=int(weight),
                documents=int(documents),
                sentences=int(weight),
                npmi=npmi(int(weight), int(per_entity[a]), int(per_entity[b]), n_windows),
            )
        )
    return out


def npmi(both: int, a: int, b: int, total: int) -> float:
    """Normalised PMI in [-1, 1]: 1 when the two always appear together."""
    p_ab, p_a, p_b = both / total, a / total, b / total
    if p_ab >= 1.0:
        return 1.0
    return round(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab), 6)
