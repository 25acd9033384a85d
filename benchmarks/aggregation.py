"""Time of the co-occurrence aggregation (relate stage) on a large synthetic corpus; prints numbers.

Each synthetic article has `--mentions` linked mentions (20) of entities drawn
from a vocabulary (5,000 ids) with a Zipf law, so a few entities are in most
articles, as in news; each mention is put in a random sentence of its article
(`--sentences` per article, three to a block). The model is not involved:
this measures `pipeline.stages.relate.cooccurrences` alone.

    python benchmarks/aggregation.py --articles 100000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # run from a checkout without installing

from pipeline.stages.relate import WINDOWS, cooccurrences  # noqa: E402


def synthetic_corpus(
    articles: int, *, mentions: int, vocabulary: int, sentences: int, zipf: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """(mentions, sentences, dates) tables shaped like the flow's."""
    rng = np.random.default_rng(seed)
    doc_ids = np.array([f"d{i:07d}" for i in range(articles)], dtype=object)
    ranks = np.arange(1, vocabulary + 1)
    weights = 1.0 / ranks**zipf
    entity_names = np.array([f"Q{k}" for k in ranks], dtype=object)
    mention_frame = pd.DataFrame(
        {
            "doc_id": np.repeat(doc_ids, mentions),
            "sentence_id": rng.integers(0, sentences, size=articles * mentions),
            "entity_id": entity_names[rng.choice(vocabulary, size=articles * mentions, p=weights / weights.sum())],
        }
    )
    sentence_ids = np.tile(np.arange(sentences), articles)
    sentence_frame = pd.DataFrame(
        {"doc_id": np.repeat(doc_ids, sentences), "sentence_id": sentence_ids, "block_id": sentence_ids // 3}
    )
    days = rng.integers(0, 366, size=articles)
    dates = dict(zip(doc_ids, (np.datetime64("2024-01-01") + days).astype(str)))
    return mention_frame, sentence_frame, dates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="synthetic articles (default 100000)")
    parser.add_argument("--mentions", type=int, default=20, help="linked mentions per article (default 20)")
    parser.add_argument("--vocabulary", type=int, default=5_000, help="distinct entities (default 5000)")
    parser.add_argument("--sentences", type=int, default=30, help="sentences per article (default 30)")
    parser.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent of entity frequency (default 1.1)")
    parser.add_argument("--window", choices=WINDOWS, default="sentence", help="co-occurrence window (default sentence)")
    parser.add_argument("--no-dates", action="store_true", help="undated articles (skips the first/last date step)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    versions = f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}"
    print(f"machine: {os.cpu_count()} CPUs {platform.machine()}; {versions}; load average {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    mentions, sentences, dates = synthetic_corpus(
        args.articles,
        mentions=args.mentions,
        vocabulary=args.vocabulary,
        sentences=args.sentences,
        zipf=args.zipf,
        seed=args.seed,
    )
    print(
        f"corpus: {args.articles} articles, {len(mentions)} mentions of {mentions['entity_id'].nunique()} entities, "
        f"{len(sentences)} sentences (built in {time.perf_counter() - started:.1f} s)"
    )
    started = time.perf_counter()
    edges = cooccurrences(mentions, sentences, window=args.window, k=3, dates=None if args.no_dates else dates)
    seconds = time.perf_counter() - started
    dated = "undated" if args.no_dates else "dated"
    print(f"cooccurrences(window={args.window!r}, {dated} articles): {len(edges)} edges in {seconds:.1f} s")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
