"""`python -m pipeline evaluate`: run (or read) the pipeline on gold texts and score it."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from pipeline.config import PipelineConfig, with_overrides
from pipeline.evaluate import baseline_tables, format_comparison, format_report, load_gold, load_run, score
from pipeline.io import atomic_write
from pipeline.nlp import load_nlp


def write_gold_texts(gold: list[dict], folder: Path) -> None:
    """One `<id>.txt` per gold record, so the run's doc_ids are the gold ids."""
    folder.mkdir(parents=True, exist_ok=True)
    for record in gold:
        if "/" in record["id"] or record["id"].startswith("."):
            raise ValueError(f"gold id {record['id']!r} cannot be a file name")
        (folder / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")


def run_on_gold(gold: list[dict], config: PipelineConfig, out_dir: Path, *, progress: bool, force: bool) -> Path:
    from pipeline.runner import run

    with tempfile.TemporaryDirectory(prefix="pressgraph-gold-") as tmp:
        texts = Path(tmp) / "texts"
        write_gold_texts(gold, texts)
        config = with_overrides(config, output={"out_dir": out_dir})
        run([texts], config, progress=progress, force=force)
    return out_dir


def parse_label_map(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not target:
            raise ValueError(f"--label-map {pair!r} is invalid; expected FROM=TO, e.g. STATE=LOC")
        out[source] = target
    return out


def evaluate_command(args, config: PipelineConfig) -> int:
    try:
        gold = load_gold(args.gold)
        label_map = parse_label_map(args.label_map)
    except (OSError, ValueError) as err:
        print(f"pressgraph: {err}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pressgraph-eval-") as tmp:
        if args.run:
            run_dir = Path(args.run)
        else:
            run_dir = Path(args.keep_run) if args.keep_run else Path(tmp) / "outputs"
            run_on_gold(gold, config, run_dir, progress=not args.no_progress, force=args.force)
        try:
            reports = {"pipeline": score(gold, load_run(run_dir), label_map=label_map)}
        except (OSError, ValueError) as err:
            print(f"pressgraph: {err}", file=sys.stderr)
            return 2
    if args.baseline:
        nlp = load_nlp(config.annotate.model, parse=config.annotate.parse)
        reports["baseline"] = score(gold, baseline_tables(gold, nlp), label_map=label_map)
    title = Path(args.gold).name
    if len(reports) == 1:
        print(format_report(reports["pipeline"], title))
    else:
        print(f"{title}\n\n{format_comparison(reports)}")
    if args.out:
        data = reports if len(reports) > 1 else reports["pipeline"]
        atomic_write(Path(args.out), lambda f: json.dump(data, f, ensure_ascii=False, indent=2))
    return 0
