"""Scoring a pipeline run against gold annotations (`data/gold/README.md`).

`score` compares the tables of a run folder with gold JSONL records and
returns plain numbers in a JSON-ready dict: NER precision/recall/F1 (exact
and overlapping spans), entity linking, boilerplate removal, demonyms and
roles. A section appears only when the gold carries that annotation, so the
seeds gold and the NewsEye dev set give different, but never made-up, scores.

Names are compared with `pipeline.text.name_key`, the key the linker itself
matches names by: case, accents, hyphens vs spaces and apostrophe styles do
not count.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.records import BlockRow, DocumentRow, Entity, Mention, column_names
from pipeline.store import read_outputs
from pipeline.text import name_key

# The columns scoring reads from each table of a run folder.
RUN_COLUMNS: dict[str, tuple[str, ...]] = {
    "mentions": ("doc_id", "start", "end", "label", "entity_id", "kind", "refers_to"),
    "entities": ("entity_id", "name", "wikidata"),
    "blocks": ("doc_id", "start", "end"),
    "documents": ("doc_id",),
}
_LABEL_ORDER = ("PER", "STATE", "ORG", "LOC", "MISC")
_METRICS = ("precision", "recall", "f1")

_Span = tuple[int, int, str]  # start, end, label


@dataclass(frozen=True)
class RunTables:
    """The output tables of one pipeline run, as read by `load_run`."""

    mentions: pd.DataFrame
    entities: pd.DataFrame
    blocks: pd.DataFrame
    documents: pd.DataFrame
    # doc_id, sentence_id, start, end; optional: without it no pair scores
    sentences: pd.DataFrame | None = None


@dataclass(frozen=True)
class _Predicted:
    """A predicted mention with its entity resolved to a name and QID."""

    start: int
    end: int
    label: str
    kind: str
    name: str
    wikidata: str
    refers_to: str  # name of the entity in `refers_to`, or ""


# ------------------------------------------------------------------ loading


def load_gold(path: str | Path) -> list[dict]:
    """Read a gold JSONL file: one object with string `id` and `text` a line."""
    records = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}, line {number}: not valid JSON ({err.msg}, column {err.colno})") from err
            if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("id", "text")):
                raise ValueError(f"{path}, line {number}: expected a JSON object with string 'id' and 'text'")
            records.append(record)
    return records


def load_run(run_dir: str | Path) -> RunTables:
    """The tables of a run folder that scoring reads (`pipeline.store.read_outputs`).

    Ids stay strings ("001" intact, empty cells ""); offsets are integers.
    """
    outputs = read_outputs(run_dir)
    tables = {name: outputs.table(name, needed=needed) for name, needed in RUN_COLUMNS.items()}
    has_sentences = (Path(run_dir) / "sentences.csv").is_file()
    return RunTables(**tables, sentences=outputs.table("sentences") if has_sentences else None)


# ------------------------------------------------------------------ scoring


def score(gold: list[dict], run: RunTables, *, label_map: dict[str, str] | None = None) -> dict:
    """Score a run against gold records (gold formats: `data/gold/README.md`).

    Args:
        gold: records as returned by `load_gold`.
        run: the run's tables; documents not in `gold` are ignored, gold
            documents missing from the run count as all misses.
        label_map: predicted label -> gold label, applied before comparing.
            By default STATE counts as LOC when the gold has no STATE label.

    Returns:
        {"documents", "ner", "linking", "boilerplate", "demonyms", "roles"},
        where the last four appear only if the gold has that annotation.
    """
    _check_gold(gold)
    if label_map is None:
        label_map = _default_label_map(gold)
    _check_label_map(label_map)
    predicted = _predictions(run, {record["id"] for record in gold}, label_map)
    report: dict[str, Any] = {"documents": len(gold), "ner": _ner(gold, predicted)}
    linking = _linking(gold, predicted)
    if linking:
        report["linking"] = linking
    if any("boilerplate" in record for record in gold):
        report["boilerplate"] = _boilerplate(gold, _blocks_by_doc(run.blocks)) | {
            "mentions_inside": _mentions_inside_furniture(gold, predicted)
        }
    for key, kind in (("demonyms", "demonym"), ("roles", "role")):
        if any(key in record for record in gold):
            report[key] = {"recall": _span_recall(gold, predicted, key, kind)}
    if run.sentences is not None and _has_field(gold, "entity"):
        report["pairs"] = _sentence_pairs(gold, predicted, run.sentences)
    return report


def _check_gold(gold: list[dict]) -> None:
    seen: set[str] = set()
    for index, record in enumerate(gold):
        if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("id", "text")):
            raise ValueError(f"gold record {index}: expected a dict with string 'id' and 'text'")
        if record["id"] in seen:
            raise ValueError(f"gold record {index}: id {record['id']!r} is used twice; ids must be unique")
        seen.add(record["id"])


def _default_label_map(gold: list[dict]) -> dict[str, str]:
    """STATE -> LOC when the gold never uses STATE (e.g. NewsEye), else none."""
    labels = {span.get("label") for record in gold for span in record.get("entities", [])}
    return {} if "STATE" in labels else {"STATE": "LOC"}


def _check_label_map(label_map: dict[str, str]) -> None:
    for key, value in label_map.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"label_map entry {key!r}: {value!r} is invalid; keys and values must be label strings")


def _predictions(run: RunTables, doc_ids: set[str], label_map: dict[str, str]) -> dict[str, list[_Predicted]]:
    """The run's mentions of gold documents, grouped by document."""
    entities = run.entities.to_dict("records")
    names = {str(e["entity_id"]): str(e["name"]) for e in entities}
    qids = {str(e["entity_id"]): str(e["wikidata"]).strip() for e in entities}
    by_doc: dict[str, list[_Predicted]] = {}
    for row in run.mentions.to_dict("records"):
        doc_id, entity_id, refers_to = str(row["doc_id"]), str(row["entity_id"]), str(row["refers_to"])
        if doc_id not in doc_ids:
            continue
        label = str(row["label"])
        by_doc.setdefault(doc_id, []).append(
            _Predicted(
                start=int(row["start"]),
                end=int(row["end"]),
                label=label_map.get(label, label),
                kind=str(row["kind"]),
                # An id missing from entities.csv stands for itself: it can still be
                # counted, but it will not match a gold name.
                name=names.get(entity_id, entity_id),
                wikidata=qids.get(entity_id, ""),
                refers_to=names.get(refers_to, refers_to) if refers_to else "",
            )
        )
    return by_doc


def _names(predicted: list[_Predicted]) -> list[_Predicted]:
    return [p for p in predicted if p.kind == "name"]


# ---------------------------------------------------------------------- NER


def _ner(gold: list[dict], predicted: dict[str, list[_Predicted]]) -> dict:
    """Strict and fuzzy P/R/F1, micro and per label, over name mentions.

    Predictions inside gold boilerplate need no special case: nothing is
    annotated there, so they find no gold span and count as false positives.
    """
    counts = {"strict": [Counter(), Counter(), Counter()], "fuzzy": [Counter(), Counter(), Counter()]}
    for record in gold:
        gold_spans = [(s["start"], s["end"], s["label"]) for s in record.get("entities", [])]
        pred_spans = [(p.start, p.end, p.label) for p in _names(predicted.get(record["id"], []))]
        for mode, matcher in (("strict", _match_exact), ("fuzzy", _match_overlaps)):
            pairs = matcher(gold_spans, pred_spans)
            matched_gold, matched_pred = {g for g, _ in pairs}, {p for _, p in pairs}
            tp, fp, fn = counts[mode]
            tp.update(gold_spans[g][2] for g in matched_gold)
            fp.update(s[2] for i, s in enumerate(pred_spans) if i not in matched_pred)
            fn.update(s[2] for i, s in enumerate(gold_spans) if i not in matched_gold)
    return {mode: _per_label(*triple) for mode, triple in counts.items()}


def _match_exact(gold: list[_Span], predicted: list[_Span]) -> list[tuple[int, int]]:
    """(gold index, prediction index) pairs with the same start, end and label."""
    unused: dict[_Span, list[int]] = {}
    for index, span in enumerate(predicted):
        unused.setdefault(span, []).append(index)
    return [(g, unused[span].pop(0)) for g, span in enumerate(gold) if unused.get(span)]


def _match_overlaps(gold: list[_Span], predicted: list[_Span]) -> list[tuple[int, int]]:
    """One-to-one pairs of overlapping spans with the same label.

    Greedy: the candidate pairs are taken by decreasing overlap (in characters,
    ties by position) and a pair is kept when neither span is used yet.
    """
    candidates = sorted(
        (-_overlap(g, p), gi, pi)
        for gi, g in enumerate(gold)
        for pi, p in enumerate(predicted)
        if g[2] == p[2] and _overlap(g, p) > 0
    )
    pairs, used_gold, used_pred = [], set(), set()
    for _, gi, pi in candidates:
        if gi not in used_gold and pi not in used_pred:
            pairs.append((gi, pi))
            used_gold.add(gi)
            used_pred.add(pi)
    return sorted(pairs)


def _overlap(a: tuple[int, int, Any], b: tuple[int, int, Any]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _per_label(tp: Counter, fp: Counter, fn: Counter) -> dict:
    scores = {"micro": _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))}
    for label in _ordered_labels(set(tp) | set(fp) | set(fn)):
        scores[label] = _prf(tp[label], fp[label], fn[label])
    return scores


def _ordered_labels(labels: Iterable[str]) -> list[str]:
    """The usual labels in their usual order, then any others alphabetically."""
    labels = set(labels)
    return [x for x in _LABEL_ORDER if x in labels] + sorted(labels - set(_LABEL_ORDER))


def _prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 (0.0 when undefined) with the raw counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


# ------------------------------------------------------------------ linking


def _has_field(gold: list[dict], field: str) -> bool:
    """Whether some gold entity mention carries a non-null `field`."""
    return any(span.get(field) is not None for record in gold for span in record.get("entities", []))


def _linking(gold: list[dict], predicted: dict[str, list[_Predicted]]) -> dict:
    """Linking scores the gold supports: canonical names, QIDs, metonymy.

    A gold mention is compared with the predicted name mention of exactly its
    span (any label; the first one if several).
    """
    at_span = {
        record["id"]: {(p.start, p.end): p for p in reversed(_names(predicted.get(record["id"], [])))}
        for record in gold
    }
    scores: dict[str, Any] = {}
    if _has_field(gold, "entity"):
        pairs = _span_pairs(gold, at_span, "entity")
        scores["mention_accuracy"] = _ratio(sum(name_key(p.name) == name_key(g) for g, p in pairs), len(pairs))
        scores["mentions_scored"] = len(pairs)
        scores["documents"] = _document_entities(gold, predicted)
    if _has_field(gold, "wikidata"):
        scores["wikidata_recall"] = _wikidata_recall(gold, predicted)
    if _has_field(gold, "metonym_of"):
        scores["metonymy_accuracy"] = _metonymy(gold, at_span)
    return scores


def _metonymy(gold: list[dict], at_span: dict) -> float:
    """Accuracy of `refers_to` over the mentions where the gold or the run says
    a place stands for a state: a missed and a wrongly added metonymy both count."""
    right = total = 0
    for record in gold:
        for span in record.get("entities", []):
            match = at_span[record["id"]].get((span["start"], span["end"]))
            expected = span.get("metonym_of") or ""
            if match is None or not (expected or match.refers_to):
                continue
            total += 1
            right += name_key(match.refers_to) == name_key(expected)
    return _ratio(right, total)


def _span_pairs(gold: list[dict], at_span: dict, field: str) -> list[tuple[str, _Predicted]]:
    """(gold `field` value, prediction) for gold mentions with a same-span prediction."""
    pairs = []
    for record in gold:
        for span in record.get("entities", []):
            match = at_span[record["id"]].get((span["start"], span["end"]))
            if match is not None and span.get(field) is not None:
                pairs.append((span[field], match))
    return pairs


def _sentence_pairs(gold: list[dict], predicted: dict[str, list[_Predicted]], sentences: pd.DataFrame) -> dict:
    """Sentence-level entity pairs: two distinct entities named in one sentence.

    Gold pairs come from the gold's entities, demonyms and roles (canonical
    names) placed in the run's sentences; predicted pairs from all the run's
    mentions. Micro P/R/F1 over (document, sentence, pair).
    """
    gold_pairs: set = set()
    pred_pairs: set = set()
    for record in gold:
        sentence_of = _sentence_locator(sentences[sentences["doc_id"] == record["id"]])
        spans = [
            (s["start"], name_key(s["entity"]))
            for key in ("entities", "demonyms", "roles")
            for s in record.get(key, [])
            if s.get("entity")
        ]
        gold_pairs |= _pairs_in_sentences(record["id"], spans, sentence_of)
        pred = [(p.start, name_key(p.name)) for p in predicted.get(record["id"], [])]
        pred_pairs |= _pairs_in_sentences(record["id"], pred, sentence_of)
    scores = _prf(len(gold_pairs & pred_pairs), len(pred_pairs - gold_pairs), len(gold_pairs - pred_pairs))
    return {k: scores[k] for k in _METRICS}


def _sentence_locator(rows: pd.DataFrame):
    """offset -> id of the sentence holding it (None between sentences)."""
    rows = rows.sort_values("start")
    starts, ends, ids = rows["start"].tolist(), rows["end"].tolist(), rows["sentence_id"].tolist()

    def sentence_of(offset: int) -> str | None:
        i = bisect_right(starts, offset) - 1
        return ids[i] if i >= 0 and offset < ends[i] else None

    return sentence_of


def _pairs_in_sentences(doc_id: str, spans: list[tuple[int, str]], sentence_of) -> set:
    by_sentence: dict[str, set[str]] = {}
    for start, name in spans:
        sid = sentence_of(start)
        if sid is not None:
            by_sentence.setdefault(sid, set()).add(name)
    return {(doc_id, sid, a, b) for sid, names in by_sentence.items() for a in names for b in names if a < b}


def _document_entities(gold: list[dict], predicted: dict[str, list[_Predicted]]) -> dict:
    """Micro P/R/F1 of the set of entity names found in each document."""
    tp = fp = fn = 0
    for record in gold:
        wanted = {name_key(s["entity"]) for s in record.get("entities", []) if s.get("entity") is not None}
        found = {name_key(p.name) for p in _names(predicted.get(record["id"], []))}
        tp, fp, fn = tp + len(wanted & found), fp + len(found - wanted), fn + len(wanted - found)
    return {metric: value for metric, value in _prf(tp, fp, fn).items() if metric in _METRICS}


def _wikidata_recall(gold: list[dict], predicted: dict[str, list[_Predicted]]) -> float:
    """Share of gold QIDs carried by some overlapping predicted name mention."""
    hits = total = 0
    for record in gold:
        names = _names(predicted.get(record["id"], []))
        for span in record.get("entities", []):
            if span.get("wikidata") is None:
                continue
            total += 1
            g = (span["start"], span["end"], None)
            hits += any(p.wikidata == span["wikidata"] and _overlap(g, (p.start, p.end, None)) for p in names)
    return _ratio(hits, total)


# ------------------------------------------------ boilerplate, demonyms, roles


def _blocks_by_doc(blocks: pd.DataFrame) -> dict[str, list[tuple[int, int]]]:
    by_doc: dict[str, list[tuple[int, int]]] = {}
    for row in blocks.to_dict("records"):
        by_doc.setdefault(str(row["doc_id"]), []).append((int(row["start"]), int(row["end"])))
    return by_doc


def _mask(length: int, spans: Iterable[tuple[int, int]]) -> list[bool]:
    """Per character of a text: does some span cover it?"""
    covered = [False] * length
    for start, end in spans:
        covered[max(start, 0) : min(end, length)] = [True] * (min(end, length) - max(start, 0))
    return covered


def _mentions_inside_furniture(gold: list[dict], predicted: dict[str, list[_Predicted]]) -> int:
    """Predicted mentions (of any kind) that overlap a gold furniture span."""
    count = 0
    for record in gold:
        spans = [(s["start"], s["end"]) for s in record.get("boilerplate", [])]
        count += sum(
            any(m.start < end and start < m.end for start, end in spans) for m in predicted.get(record["id"], [])
        )
    return count


def _boilerplate(gold: list[dict], kept: dict[str, list[tuple[int, int]]]) -> dict:
    """Shares of non-space characters dropped, inside and outside gold furniture.

    A document without blocks (or missing from the run) lost everything.
    """
    dropped, total = Counter(), Counter()
    for record in gold:
        text = record["text"]
        furniture = _mask(len(text), ((s["start"], s["end"]) for s in record.get("boilerplate", [])))
        in_blocks = _mask(len(text), kept.get(record["id"], []))
        for char, is_furniture, is_kept in zip(text, furniture, in_blocks):
            if not char.isspace():
                total[is_furniture] += 1
                dropped[is_furniture] += not is_kept
    return {"removed": _ratio(dropped[True], total[True]), "content_lost": _ratio(dropped[False], total[False])}


def _span_recall(gold: list[dict], predicted: dict[str, list[_Predicted]], key: str, kind: str) -> float:
    """Share of gold `key` spans predicted with this kind, span and entity name."""
    hits = total = 0
    for record in gold:
        found = {(p.start, p.end, name_key(p.name)) for p in predicted.get(record["id"], []) if p.kind == kind}
        for span in record.get(key, []):
            total += 1
            hits += (span["start"], span["end"], name_key(span["entity"])) in found
    return _ratio(hits, total)


# --------------------------------------------------------------- reporting


# Rows below the NER tables: a readable name and the path to the number.
_OTHER_ROWS = (
    ("linking accuracy (mentions)", ("linking", "mention_accuracy")),
    ("linked mentions scored", ("linking", "mentions_scored")),
    ("document entities precision", ("linking", "documents", "precision")),
    ("document entities recall", ("linking", "documents", "recall")),
    ("document entities F1", ("linking", "documents", "f1")),
    ("Wikidata recall", ("linking", "wikidata_recall")),
    ("metonymy accuracy", ("linking", "metonymy_accuracy")),
    ("boilerplate removed", ("boilerplate", "removed")),
    ("content lost", ("boilerplate", "content_lost")),
    ("mentions inside furniture", ("boilerplate", "mentions_inside")),
    ("demonym recall", ("demonyms", "recall")),
    ("role recall", ("roles", "recall")),
    ("entity pairs precision (sentence)", ("pairs", "precision")),
    ("entity pairs recall (sentence)", ("pairs", "recall")),
    ("entity pairs F1 (sentence)", ("pairs", "f1")),
)


def format_report(report: dict, title: str) -> str:
    """A plain-text view of one `score` result."""
    lines = [f"{title} ({report['documents']} documents)"]
    for mode, meaning in (("strict", "same start, end and label"), ("fuzzy", "overlapping span, same label")):
        lines += ["", f"NER {mode} ({meaning})", f"{'label':<8}{'P':>8}{'R':>8}{'F1':>8}{'tp':>7}{'fp':>7}{'fn':>7}"]
        for label, s in report["ner"][mode].items():
            lines.append(
                f"{label:<8}{s['precision']:>8.4f}{s['recall']:>8.4f}{s['f1']:>8.4f}{s['tp']:>7}{s['fp']:>7}{s['fn']:>7}"
            )
    rest = [(name, _lookup(report, path)) for name, path in _OTHER_ROWS]
    rest = [(name, value) for name, value in rest if value is not None]
    if rest:
        width = max(len(name) for name, _ in rest)
        lines += [""] + [f"{name:<{width}}  {_value(value):>8}" for name, value in rest]
    return "\n".join(lines)


def format_comparison(reports: dict[str, dict]) -> str:
    """A Markdown table of several `score` results side by side, one column each.

    A row that no report has is left out; a number one report lacks is "–".
    """
    labels = _ordered_labels(
        label for r in reports.values() for mode in r["ner"].values() for label in mode if label != "micro"
    )
    summaries = [_summary(report, labels) for report in reports.values()]
    lines = ["| metric | " + " | ".join(reports) + " |", "| --- |" + " ---: |" * len(reports)]
    for row in summaries[0] if summaries else []:
        values = [summary[row] for summary in summaries]
        if any(value is not None for value in values):
            lines.append(f"| {row} | " + " | ".join("–" if v is None else _value(v) for v in values) + " |")
    return "\n".join(lines)


def _summary(report: dict, labels: list[str]) -> dict[str, float | int | None]:
    """Headline numbers of a report under readable names, in reading order.

    NER gets micro P/R/F1 and the F1 of each of `labels`; numbers the report
    does not have are None, so that summaries of different reports line up.
    """
    rows: dict[str, float | int | None] = {"documents": report["documents"]}
    for mode in ("strict", "fuzzy"):
        for metric in _METRICS:
            rows[f"NER {mode} {metric} (micro)"] = _lookup(report, ("ner", mode, "micro", metric))
        for label in labels:
            rows[f"NER {mode} F1 {label}"] = _lookup(report, ("ner", mode, label, "f1"))
    rows.update((name, _lookup(report, path)) for name, path in _OTHER_ROWS)
    return rows


def _lookup(report: dict, path: tuple[str, ...]) -> Any:
    """The value at `path` in nested dicts, or None where a key is absent."""
    for key in path:
        if not isinstance(report, dict) or key not in report:
            return None
        report = report[key]
    return report


def _value(value: float | int) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


# ----------------------------------------------------------------- baseline


def baseline_tables(gold: list[dict], nlp: Any) -> RunTables:
    """What plain spaCy finds in the gold texts, as the tables of a run.

    No cleaning and no knowledge base: every `doc.ents` span is a name
    mention of the entity "<label>:<text>", and each whole text is kept as
    one block. Scoring these tables gives the baseline the pipeline must beat.
    """
    mentions, blocks, documents, sentences = [], [], [], []
    for doc, doc_id in nlp.pipe(((record["text"], record["id"]) for record in gold), as_tuples=True):
        sents = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
        starts = [s.start_char for s in sents]
        sentences += [(doc_id, str(i), s.start_char, s.end_char) for i, s in enumerate(sents)]
        for ent in doc.ents:
            mentions.append(
                {
                    "doc_id": doc_id,
                    "sentence_id": bisect_right(starts, ent.start_char) - 1,
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "text": ent.text,
                    "label": ent.label_,
                    "entity_id": f"{ent.label_}:{ent.text}",
                    "kind": "name",
                    "method": "model",
                }
            )
        blocks.append({"doc_id": doc_id, "block_id": 0, "kind": "text", "start": 0, "end": len(doc.text)})
        documents.append(
            {
                "doc_id": doc_id,
                "source": "gold",
                "chars": len(doc.text),
                "sentences": len(starts),
                "mentions": len(doc.ents),
                "status": "ok",
            }
        )
    return RunTables(
        mentions=_frame(mentions, Mention),
        entities=_frame(_baseline_entities(mentions), Entity),
        blocks=_frame(blocks, BlockRow),
        documents=_frame(documents, DocumentRow),
        sentences=pd.DataFrame(sentences, columns=["doc_id", "sentence_id", "start", "end"]),
    )


def _baseline_entities(mentions: list[dict]) -> list[dict]:
    """One entity per distinct label and surface text, sorted by id."""
    grouped: dict[str, list[dict]] = {}
    for mention in mentions:
        grouped.setdefault(mention["entity_id"], []).append(mention)
    return [
        {
            "entity_id": entity_id,
            "name": group[0]["text"],
            "type": group[0]["label"],
            "mentions": len(group),
            "documents": len({m["doc_id"] for m in group}),
            "aliases": group[0]["text"],
        }
        for entity_id, group in sorted(grouped.items())
    ]


def _frame(rows: list[dict], record_type: type) -> pd.DataFrame:
    """A table with the columns of `record_type`; columns the rows lack are ""."""
    return pd.DataFrame(rows).reindex(columns=column_names(record_type), fill_value="")
