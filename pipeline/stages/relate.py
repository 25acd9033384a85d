"""Relate stage: linked mentions -> weighted co-occurrence edges and evidence.

Computed with table operations (pandas), never a Python loop over all pairs:
the distinct (window, entity) rows are joined with themselves on the window.

Windows (`relate.window`): "sentence" (default), "block" (a paragraph,
heading or list item), "document", or "sentences" (k consecutive sentences,
`relate.window_sentences`).

A sentence naming more than `max_sentence_entities` distinct entities is a
list (an enumeration, a table flattened into a line): its n entities would
make n(n-1)/2 pairs that say little about one another. Its mentions count
for the document window only; they make no edge in smaller windows, no
`sentences` count and no evidence. Evidence is at most `max_per_edge`
sentences per edge, spread over the documents.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from pipeline.records import Cooccurrence, Evidence, Mention, Relation, SentenceRow

WINDOWS = ("sentence", "block", "document", "sentences")


def mention_frame(
    mentions: Iterable[Mention], *, fold_metonyms: bool = False, capitals: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Mentions as a table of doc_id, sentence_id, entity_id, refers_to.

    Args:
        fold_metonyms: a capital or seat used for its state counts as the state.
        capitals: city id -> state id; every mention of these cities counts as the state.
    """
    df = pd.DataFrame(
        [(m.doc_id, m.sentence_id, m.entity_id, m.refers_to) for m in mentions],
        columns=["doc_id", "sentence_id", "entity_id", "refers_to"],
    )
    if fold_metonyms and not df.empty:
        df["entity_id"] = df["refers_to"].where(df["refers_to"] != "", df["entity_id"])
    if capitals and not df.empty:
        df["entity_id"] = df["entity_id"].map(lambda e: capitals.get(e, e))
    return df


def windows_of(
    mentions: pd.DataFrame, sentences: pd.DataFrame, *, window: str = "sentence", k: int = 2
) -> tuple[pd.DataFrame, int]:
    """Distinct (doc_id, window, entity_id) rows, and how many windows the corpus has.

    Args:
        mentions: doc_id, sentence_id, entity_id.
        sentences: doc_id, sentence_id, block_id: every sentence of the corpus.
    """
    if window not in WINDOWS:
        raise ValueError(f"window {window!r} is invalid; allowed: {', '.join(WINDOWS)}")
    m = mentions[["doc_id", "sentence_id", "entity_id"]]
    if window == "sentence":
        rows, total = m.rename(columns={"sentence_id": "window"}), len(sentences)
    elif window == "block":
        m = m.merge(sentences[["doc_id", "sentence_id", "block_id"]], on=["doc_id", "sentence_id"])
        rows = m[["doc_id", "block_id", "entity_id"]].rename(columns={"block_id": "window"})
        total = len(sentences[["doc_id", "block_id"]].drop_duplicates())
    elif window == "document":
        rows = m.assign(window=0)[["doc_id", "window", "entity_id"]]
        total = sentences["doc_id"].nunique()
    else:
        if k < 1:
            raise ValueError(f"window_sentences = {k} is invalid; value must be >= 1")
        # a mention in sentence s lies in the windows starting at s-k+1 .. s
        shifts = np.arange(k)
        rows = m.loc[m.index.repeat(k)].assign(window=lambda d: d["sentence_id"].to_numpy() - np.tile(shifts, len(m)))
        rows = rows[rows["window"] >= 0][["doc_id", "window", "entity_id"]]
        per_doc = sentences.groupby("doc_id").size()
        total = int(np.maximum(per_doc - k + 1, 1).sum())
    return rows.drop_duplicates(), int(total)


def outside_lists(mentions: pd.DataFrame, max_sentence_entities: int = 0) -> pd.DataFrame:
    """The distinct (doc_id, sentence_id, entity_id) rows of the sentences that are not lists.

    Args:
        max_sentence_entities: a sentence naming more distinct entities is a
            list; 0: no sentence is.
    """
    per_sentence = mentions[["doc_id", "sentence_id", "entity_id"]].drop_duplicates()
    if max_sentence_entities <= 0 or per_sentence.empty:
        return per_sentence
    named = per_sentence.groupby(["doc_id", "sentence_id"])["entity_id"].transform("size")
    return per_sentence[named <= max_sentence_entities]


def cooccurrences(
    mentions: pd.DataFrame,
    sentences: pd.DataFrame,
    *,
    window: str = "sentence",
    k: int = 2,
    min_weight: int = 1,
    dates: Mapping[str, str] | None = None,
    max_sentence_entities: int = 0,
) -> list[Cooccurrence]:
    """Co-occurrence edges of entities sharing windows.

    Per pair (source < target): weight = windows shared (an entity twice in a
    window counts once; no self-pairs); documents = articles with a shared
    window; sentences = sentences naming both; pmi, npmi and jaccard over
    windows; first_date/last_date = earliest and latest article date (ISO)
    among those articles with a full date, empty when none has one. The mentions of a sentence
    naming more than `max_sentence_entities` entities (a list; 0: no limit)
    count in the document window only.
    """
    if mentions.empty:
        return []
    per_sentence = outside_lists(mentions, max_sentence_entities)
    rows, n_windows = windows_of(mentions if window == "document" else per_sentence, sentences, window=window, k=k)
    edges = _pair_counts(rows, "window").rename(columns={"n": "weight", "docs": "documents"})
    edges = edges[edges["weight"] >= min_weight]
    if edges.empty:
        return []
    in_sentences = _pair_counts(per_sentence, "sentence_id")[["a", "b", "n"]].rename(columns={"n": "sentences"})
    edges = edges.merge(in_sentences, on=["a", "b"], how="left").fillna({"sentences": 0})
    per_entity = rows.groupby("entity_id").size()
    edges["na"] = edges["a"].map(per_entity)
    edges["nb"] = edges["b"].map(per_entity)
    first, last = _date_span(rows, dates or {})
    out = []
    for r in edges.sort_values(["a", "b"]).itertuples(index=False):
        pmi, npmi_value = pmi_npmi(r.weight, r.na, r.nb, n_windows)
        out.append(
            Cooccurrence(
                source=r.a,
                target=r.b,
                weight=int(r.weight),
                documents=int(r.documents),
                sentences=int(r.sentences),
                pmi=pmi,
                npmi=npmi_value,
                jaccard=round(r.weight / (r.na + r.nb - r.weight), 6),
                first_date=first.get((r.a, r.b), ""),
                last_date=last.get((r.a, r.b), ""),
            )
        )
    return out


def _pairs(rows: pd.DataFrame, window: str) -> pd.DataFrame:
    """(a, b, doc_id, window) for every two distinct entities sharing a window."""
    pairs = rows.merge(rows, on=["doc_id", window], suffixes=("_a", "_b"))
    pairs = pairs[pairs["entity_id_a"] < pairs["entity_id_b"]]
    return pairs.rename(columns={"entity_id_a": "a", "entity_id_b": "b"})


def _pair_counts(rows: pd.DataFrame, window: str) -> pd.DataFrame:
    pairs = _pairs(rows, window)
    return pairs.groupby(["a", "b"]).agg(n=(window, "size"), docs=("doc_id", "nunique")).reset_index()


def _date_span(rows: pd.DataFrame, dates: Mapping[str, str]) -> tuple[dict, dict]:
    # full dates only: an article dated by its month or year alone places no edge on the timeline
    dated = {d: v for d, v in dates.items() if len(v) >= 10}
    if not dated:
        return {}, {}
    pairs = _pairs(rows, "window")[["a", "b", "doc_id"]].drop_duplicates()
    pairs["date"] = pairs["doc_id"].map(dated)
    pairs = pairs.dropna(subset=["date"])
    # min/max over positions in the sorted dates: a numeric group-by, where
    # one over strings would loop in Python per pair
    values = np.sort(pairs["date"].unique().astype(object))
    pairs["code"] = np.searchsorted(values, pairs["date"].to_numpy(dtype=object))
    span = pairs.groupby(["a", "b"])["code"].agg(["min", "max"])
    first = dict(zip(span.index, values[span["min"].to_numpy()], strict=True))
    last = dict(zip(span.index, values[span["max"].to_numpy()], strict=True))
    return first, last


def evidence_pairs(mentions: pd.DataFrame, max_sentence_entities: int = 0) -> pd.DataFrame:
    """(source, target, doc_id, sentence_id): every sentence naming both ends of an edge, lists left out."""
    pairs = _pairs(outside_lists(mentions, max_sentence_entities), "sentence_id")
    return pairs.rename(columns={"a": "source", "b": "target"})[["source", "target", "doc_id", "sentence_id"]]


def pmi_npmi(both: int, a: int, b: int, total: int) -> tuple[float, float]:
    """PMI and normalised PMI (in [-1, 1]; 1 when the two always appear together)."""
    p_ab, p_a, p_b = both / total, a / total, b / total
    pmi = math.log(p_ab / (p_a * p_b))
    npmi = 1.0 if p_ab >= 1.0 else pmi / -math.log(p_ab)
    return round(pmi, 6), round(npmi, 6)


def edge_evidence(
    frame: pd.DataFrame,
    edges: list[Cooccurrence],
    sentences: pd.DataFrame,
    texts: dict[tuple[str, int], str],
    *,
    max_per_edge: int = 0,
    max_sentence_entities: int = 0,
) -> list[Evidence]:
    """The sentences naming both ends of a kept edge (lists left out, see `outside_lists`).

    Args:
        max_per_edge: at most this many sentences per edge (0: all): the
            first sentence of each document naming both, then the second of
            each, and so on, documents in doc_id order.
    """
    pairs = evidence_pairs(frame, max_sentence_entities)
    kept = pd.DataFrame([(e.source, e.target) for e in edges], columns=["source", "target"])
    pairs = pairs.merge(kept, on=["source", "target"])
    if max_per_edge > 0:
        pairs = pairs.sort_values(["source", "target", "doc_id", "sentence_id"])
        pairs["rank"] = pairs.groupby(["source", "target", "doc_id"]).cumcount()
        pairs = pairs.sort_values(["source", "target", "rank", "doc_id"])
        pairs = pairs.groupby(["source", "target"]).head(max_per_edge)
    columns = ["doc_id", "sentence_id", "start", "end"]
    pairs = pairs.merge(sentences[columns], on=["doc_id", "sentence_id"])
    pairs = pairs.sort_values(["source", "target", "doc_id", "sentence_id"])
    return [
        Evidence(
            "edge",
            r.source,
            r.target,
            "",
            r.doc_id,
            int(r.sentence_id),
            int(r.start),
            int(r.end),
            texts.get((r.doc_id, r.sentence_id), ""),
        )
        for r in pairs.itertuples(index=False)
    ]


def relation_evidence(relations: Iterable[Relation], sentences: Iterable[SentenceRow]) -> list[Evidence]:
    """The sentence behind each typed relation."""
    where = {(s.doc_id, s.sentence_id): s for s in sentences}
    out = []
    for r in relations:
        s = where[r.doc_id, r.sentence_id]
        out.append(
            Evidence("relation", r.subject, r.object, r.relation, r.doc_id, r.sentence_id, s.start, s.end, r.evidence)
        )
    return out
