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
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from itertools import repeat
from operator import attrgetter

import numpy as np
import pandas as pd

from pipeline.records import Cooccurrence, Evidence, Mention, Relation, SentenceRow, column_names

WINDOWS = ("sentence", "block", "document", "sentences")


def mention_frame(
    mentions: Iterable[Mention], *, fold_metonyms: bool = False, capitals: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Mentions as a table of doc_id, sentence_id, entity_id, refers_to.

    Args:
        fold_metonyms: a capital or seat used for its state counts as the state.
        capitals: city id -> state id; every mention of these cities counts as the state.
    """
    df = record_frame(mentions, ["doc_id", "sentence_id", "entity_id", "refers_to"])
    if fold_metonyms and not df.empty:
        df["entity_id"] = df["refers_to"].where(df["refers_to"] != "", df["entity_id"])
    if capitals and not df.empty:
        df["entity_id"] = df["entity_id"].map(lambda e: capitals.get(e, e))
    return df


def sentence_frame(sentences: Iterable[SentenceRow]) -> pd.DataFrame:
    """Sentence rows as a table with the columns of sentences.csv, for `cooccurrences` and `edge_evidence`.

    `pd.DataFrame(records)` would turn each dataclass record into a dict
    (`dataclasses.asdict`, a deep copy): most of the relate stage's time on a
    big corpus. The columns are read here with `attrgetter` instead.
    """
    return record_frame(sentences, column_names(SentenceRow))


def record_frame(records: Iterable, columns: list[str]) -> pd.DataFrame:
    """The attributes `columns` of dataclass records as a DataFrame, one row per record.

    Read a column at a time: no tuple per record (a row-wise read, then a
    transpose, took six times as long on two million mentions).
    """
    records = records if isinstance(records, Sequence) else list(records)
    if not records:
        return pd.DataFrame([], columns=columns)
    return pd.DataFrame({c: list(map(attrgetter(c), records)) for c in columns})


def windows_of(
    mentions: pd.DataFrame, sentences: pd.DataFrame, *, window: str = "sentence", k: int = 2
) -> tuple[pd.DataFrame, int]:
    """Distinct (doc_id, window, entity_id) rows, and how many windows the corpus has.

    Args:
        mentions: doc_id, sentence_id, entity_id.
        sentences: doc_id, sentence_id, block_id: every sentence of the corpus.
    """
    return _window_rows(mentions, sentences, window=window, k=k), _window_total(sentences, window=window, k=k)


def _window_rows(mentions: pd.DataFrame, sentences: pd.DataFrame, *, window: str, k: int) -> pd.DataFrame:
    if window not in WINDOWS:
        raise ValueError(f"window {window!r} is invalid; allowed: {', '.join(WINDOWS)}")
    m = mentions[["doc_id", "sentence_id", "entity_id"]]
    if window == "sentence":
        rows = m.rename(columns={"sentence_id": "window"})
    elif window == "block":
        m = m.merge(sentences[["doc_id", "sentence_id", "block_id"]], on=["doc_id", "sentence_id"])
        rows = m[["doc_id", "block_id", "entity_id"]].rename(columns={"block_id": "window"})
    elif window == "document":
        rows = m.assign(window=0)[["doc_id", "window", "entity_id"]]
    else:
        if k < 1:
            raise ValueError(f"window_sentences = {k} is invalid; value must be >= 1")
        # a mention in sentence s lies in the windows starting at s-k+1 .. s
        shifts = np.arange(k)
        rows = m.loc[m.index.repeat(k)].assign(window=lambda d: d["sentence_id"].to_numpy() - np.tile(shifts, len(m)))
        rows = rows[rows["window"] >= 0][["doc_id", "window", "entity_id"]]
    return rows.drop_duplicates()


def _window_total(sentences: pd.DataFrame, *, window: str, k: int) -> int:
    if window not in WINDOWS:
        raise ValueError(f"window {window!r} is invalid; allowed: {', '.join(WINDOWS)}")
    if window == "sentence":
        return len(sentences)
    if window == "block":
        return len(sentences[["doc_id", "block_id"]].drop_duplicates())
    if window == "document":
        return int(sentences["doc_id"].nunique())
    if k < 1:
        raise ValueError(f"window_sentences = {k} is invalid; value must be >= 1")
    per_doc = sentences.groupby("doc_id").size()
    return int(np.maximum(per_doc - k + 1, 1).sum())


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


class _Codes:
    """doc_id and entity_id as integer codes, numbered in sorted order.

    Joins, group-bys and sorts over integers instead of strings; the order
    of the codes is the order of the ids, so a sort by codes is a sort by ids.
    What both the edges and their evidence need (the sentences' distinct
    entities, the pairs they make) is made once, when first asked for.
    """

    def __init__(self, mentions: pd.DataFrame, sentences: pd.DataFrame, max_sentence_entities: int = 0):
        doc, self.docs = pd.factorize(mentions["doc_id"], sort=True)
        entity, self.entities = pd.factorize(mentions["entity_id"], sort=True)
        self.mentions = pd.DataFrame(
            {"doc_id": doc, "sentence_id": mentions["sentence_id"].to_numpy(), "entity_id": entity}
        )
        self.sentences = sentences
        self.max_sentence_entities = max_sentence_entities

    @cached_property
    def per_sentence(self) -> pd.DataFrame:
        """The distinct (doc_id, sentence_id, entity_id) of the sentences that are not lists."""
        return outside_lists(self.mentions, self.max_sentence_entities)

    @cached_property
    def sentence_pairs(self) -> pd.DataFrame:
        """(pair, doc_id, sentence_id) of every two entities named in a sentence that is not a list."""
        return _pairs(self.per_sentence, "sentence_id", len(self.entities))

    def sentence_table(self, columns: list[str]) -> pd.DataFrame:
        """The `columns` of the sentences of the documents with mentions, doc_id as its code."""
        doc = self.docs.get_indexer(self.sentences["doc_id"])
        table = self.sentences[columns].assign(doc_id=doc)
        return table[doc >= 0]


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
    codes = _Codes(mentions, sentences, max_sentence_entities)
    return _cooccurrences(codes, window=window, k=k, min_weight=min_weight, dates=dates)[0]


def _cooccurrences(
    codes: _Codes, *, window: str, k: int, min_weight: int, dates: Mapping[str, str] | None
) -> tuple[list[Cooccurrence], np.ndarray]:
    """`cooccurrences` of coded mentions, and the edges' pairs (codes a * n + b)."""
    sentences = codes.sentences
    n_windows = _window_total(sentences, window=window, k=k)
    per_sentence = codes.per_sentence
    n = len(codes.entities)
    if window == "sentence":  # the sentence pairs, which the evidence reads too
        rows = per_sentence.rename(columns={"sentence_id": "window"})
        pairs = codes.sentence_pairs.rename(columns={"sentence_id": "window"})
    else:
        block = codes.sentence_table(["doc_id", "sentence_id", "block_id"]) if window == "block" else sentences
        rows = _window_rows(codes.mentions if window == "document" else per_sentence, block, window=window, k=k)
        pairs = _pairs(rows, "window", n)
    # per (pair, document): the windows shared there; the pairs as one int64 key a * n + b
    in_docs = pairs.groupby(["pair", "doc_id"], sort=False).size().reset_index(name="n")
    edges = in_docs.groupby("pair").agg(weight=("n", "sum"), documents=("n", "size"))
    edges = edges[edges["weight"] >= min_weight]
    if edges.empty:
        return [], np.empty(0, dtype=np.int64)
    if window == "sentence":
        edges["sentences"] = edges["weight"]  # the same rows: the shared windows are the shared sentences
    else:
        in_sentences = codes.sentence_pairs.groupby("pair").size()
        edges["sentences"] = in_sentences.reindex(edges.index, fill_value=0)
    per_entity = np.bincount(rows["entity_id"].to_numpy(), minlength=n)
    pair = edges.index.to_numpy()
    a, b = pair // n, pair % n
    weight, na, nb = edges["weight"].to_numpy(), per_entity[a], per_entity[b]
    pmi, npmi = _pmi_npmi(weight, na, nb, n_windows)
    first, last = _date_span(in_docs, codes.docs, dates or {}, edges.index)
    records = list(
        map(
            Cooccurrence,
            codes.entities[a].tolist(),
            codes.entities[b].tolist(),
            weight.tolist(),
            edges["documents"].tolist(),
            edges["sentences"].tolist(),
            pmi,
            npmi,
            _rounded(weight / (na + nb - weight)),
            first,
            last,
        )
    )
    return records, pair


def _pairs(rows: pd.DataFrame, window: str, n: int) -> pd.DataFrame:
    """(pair, doc_id, window) for every two distinct entities sharing a window.

    `rows` are coded (`_Codes`); pair = a * n + b for entity codes a < b, so
    that pairs sort as (a, b).
    """
    pairs = rows.merge(rows, on=["doc_id", window], suffixes=("_a", "_b"))
    a, b = pairs["entity_id_a"].to_numpy(np.int64), pairs["entity_id_b"].to_numpy(np.int64)
    keep = a < b
    doc, where = pairs["doc_id"].to_numpy()[keep], pairs[window].to_numpy()[keep]
    return pd.DataFrame({"pair": a[keep] * n + b[keep], "doc_id": doc, window: where})


def _pmi_npmi(both: np.ndarray, a: np.ndarray, b: np.ndarray, total: int) -> tuple[list[float], list[float]]:
    """`pmi_npmi` of many pairs, the same floats: the divisions are numpy's (IEEE, as Python's),
    the logarithms and the rounding Python's."""
    p_ab, p_a, p_b = both / total, a / total, b / total
    pmi = list(map(math.log, (p_ab / (p_a * p_b)).tolist()))
    npmi = [1.0 if p >= 1.0 else value / -math.log(p) for value, p in zip(pmi, p_ab.tolist(), strict=True)]
    return _rounded(pmi), _rounded(npmi)


def _rounded(values: Iterable[float]) -> list[float]:
    """Python's `round(value, 6)` of each value (numpy's `round` can differ in the last digit)."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return list(map(round, values, repeat(6)))


def _date_span(
    in_docs: pd.DataFrame, docs: pd.Index, dates: Mapping[str, str], pairs: pd.Index
) -> tuple[list[str], list[str]]:
    """The earliest and latest full date of the documents of each pair in `pairs` ("" when none has one).

    Args:
        in_docs: pair, doc_id (code): the documents where each pair shares a window.
        docs: the doc_id of each code.
    """
    # full dates only: an article dated by its month or year alone places no edge on the timeline
    dated = {d: v for d, v in dates.items() if len(v) >= 10}
    if not dated:
        return [""] * len(pairs), [""] * len(pairs)
    # min/max over positions in the sorted dates: a numeric group-by, where
    # one over strings would loop in Python per pair
    values = np.array(sorted(set(dated.values())), dtype=object)
    position = {v: i for i, v in enumerate(values.tolist())}
    code = np.array([position.get(dated.get(d), -1) for d in docs.tolist()], dtype=np.int64)
    found = in_docs.assign(code=code[in_docs["doc_id"].to_numpy()])
    found = found[found["code"] >= 0]
    span = found.groupby("pair")["code"].agg(["min", "max"]).reindex(pairs)
    has = span["min"].notna().to_numpy()
    first = np.full(len(pairs), "", dtype=object)
    last = np.full(len(pairs), "", dtype=object)
    first[has] = values[span["min"].to_numpy()[has].astype(np.int64)]
    last[has] = values[span["max"].to_numpy()[has].astype(np.int64)]
    return first.tolist(), last.tolist()


def evidence_pairs(mentions: pd.DataFrame, max_sentence_entities: int = 0) -> pd.DataFrame:
    """(source, target, doc_id, sentence_id): every sentence naming both ends of an edge, lists left out."""
    codes = _Codes(mentions, pd.DataFrame(columns=["doc_id"]), max_sentence_entities)
    n = len(codes.entities)
    pairs = codes.sentence_pairs
    return pd.DataFrame(
        {
            "source": codes.entities[pairs["pair"].to_numpy() // n],
            "target": codes.entities[pairs["pair"].to_numpy() % n],
            "doc_id": codes.docs[pairs["doc_id"].to_numpy()],
            "sentence_id": pairs["sentence_id"].to_numpy(),
        }
    )


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
    if frame.empty or not edges:
        return []
    codes = _Codes(frame, sentences, max_sentence_entities)
    n = len(codes.entities)
    source = codes.entities.get_indexer([e.source for e in edges]).astype(np.int64)
    target = codes.entities.get_indexer([e.target for e in edges]).astype(np.int64)
    kept = (source * n + target)[(source >= 0) & (target >= 0)]
    return _edge_evidence(codes, kept, texts, max_per_edge=max_per_edge)


def edges_and_evidence(
    mentions: pd.DataFrame,
    sentences: pd.DataFrame,
    texts: dict[tuple[str, int], str],
    *,
    window: str = "sentence",
    k: int = 2,
    min_weight: int = 1,
    dates: Mapping[str, str] | None = None,
    max_sentence_entities: int = 0,
    max_per_edge: int = 0,
) -> tuple[list[Cooccurrence], list[Evidence]]:
    """`cooccurrences` and their `edge_evidence`, the work both need (codes, sentence pairs) done once."""
    if mentions.empty:
        return [], []
    codes = _Codes(mentions, sentences, max_sentence_entities)
    edges, kept = _cooccurrences(codes, window=window, k=k, min_weight=min_weight, dates=dates)
    return edges, _edge_evidence(codes, kept, texts, max_per_edge=max_per_edge) if edges else []


def _edge_evidence(
    codes: _Codes, kept: np.ndarray, texts: dict[tuple[str, int], str], *, max_per_edge: int
) -> list[Evidence]:
    """`edge_evidence` of the edges whose pairs (codes a * n + b) are `kept`."""
    n = len(codes.entities)
    pairs = codes.sentence_pairs
    pairs = pairs[np.isin(pairs["pair"].to_numpy(), kept)]
    if max_per_edge > 0:
        columns = (pairs[c].to_numpy() for c in ("pair", "doc_id", "sentence_id"))
        pairs = pairs.iloc[_spread(*columns, most=max_per_edge)]
    located = codes.sentence_table(["doc_id", "sentence_id", "start", "end"])
    pairs = pairs[["pair", "doc_id", "sentence_id"]].merge(located, on=["doc_id", "sentence_id"])
    pairs = pairs.sort_values(["pair", "doc_id", "sentence_id"])
    pair = pairs["pair"].to_numpy()
    doc_ids = codes.docs[pairs["doc_id"].to_numpy()].tolist()
    sentence_ids = pairs["sentence_id"].tolist()
    return list(
        map(
            Evidence,
            repeat("edge"),
            codes.entities[pair // n].tolist(),
            codes.entities[pair % n].tolist(),
            repeat(""),
            doc_ids,
            sentence_ids,
            _shared_ints(pairs["start"].to_numpy()),
            _shared_ints(pairs["end"].to_numpy()),
            map(texts.get, zip(doc_ids, sentence_ids), repeat("")),
        )
    )


def _shared_ints(values: np.ndarray) -> list[int]:
    """`values.tolist()` with one int object per distinct value: the rows of a
    sentence's pairs repeat its offsets (a million rows, a few thousand
    distinct values, 32 bytes each)."""
    distinct, at = np.unique(values, return_inverse=True)
    return list(map(distinct.tolist().__getitem__, at.tolist()))


def _spread(pair: np.ndarray, doc: np.ndarray, sentence: np.ndarray, *, most: int) -> np.ndarray:
    """Positions of at most `most` rows per pair, spread over its documents: the
    first sentence of each document (in document order), then the second of each...

    The rows (pair, doc, sentence) are distinct.
    """
    if not len(pair):
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((sentence, doc, pair))
    pair, doc = pair[order], doc[order]
    rank = _rank_in_runs((pair[1:] != pair[:-1]) | (doc[1:] != doc[:-1]))  # the sentence's rank in its document
    spread = np.lexsort((doc, rank, pair))
    spread_pair = pair[spread]
    kept = _rank_in_runs(spread_pair[1:] != spread_pair[:-1]) < most
    return order[spread[kept]]


def _rank_in_runs(changes: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of rows; `changes[i]`: row i + 1 starts a new run."""
    starts = np.flatnonzero(np.r_[True, changes])
    return np.arange(len(changes) + 1) - np.repeat(starts, np.diff(np.r_[starts, len(changes) + 1]))


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
