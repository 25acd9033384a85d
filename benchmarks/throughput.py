"""Throughput, worker scaling, cache and memory of the pipeline; prints numbers.

The corpus is the five shipped articles plus the texts of data/gold/dev.jsonl,
copied under distinct ids until it has `--articles` files (written as .txt to
a temporary folder). Copies are kept (input.keep_duplicates) and the language
filter is off, so every file is annotated and the model sees exactly the same
blocks in the plain-spaCy baseline and in the full pipeline.

    python benchmarks/throughput.py --articles 500
    python benchmarks/throughput.py --quick          # a small smoke run

See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # run from a checkout without installing

import spacy  # noqa: E402

from pipeline import load_config, run  # noqa: E402
from pipeline.config import PipelineConfig  # noqa: E402
from pipeline.flow import RunResult, read_articles  # noqa: E402
from pipeline.nlp import load_nlp, needed_components  # noqa: E402
from pipeline.records import ReadError  # noqa: E402
from pipeline.stages.clean import BoilerplateRules, clean  # noqa: E402
from pipeline.store import data  # noqa: E402

# Settings every run here shares: all copies annotated, no language filter.
SAME_WORK = {"input.keep_duplicates": True, "input.french_only": False}

# Runs the full pipeline in a child process and prints its article count and
# peak RSS in KiB. VmHWM is the high-water mark of the child's own memory
# map; getrusage's ru_maxrss would also count the pages of this (large)
# parent that the child shared between fork and exec.
CHILD = """
import sys
sys.path.insert(0, {project!r})
from pipeline import load_config, run
result = run([{folder!r}], load_config(overrides={overrides!r}))
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print(result.articles, status)
"""
PARTS = ("throughput", "workers", "cache", "memory")


def source_texts() -> list[tuple[str, str]]:
    """(name, text) of the shipped articles and the dev set, in a fixed order."""
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((PROJECT / "data" / "articles").glob("*.txt"))]
    with open(PROJECT / "data" / "gold" / "dev.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            texts.append((re.sub(r"\W+", "_", record["id"]), record["text"]))
    return texts


def write_corpus(folder: Path, count: int, *, first: int = 0) -> Path:
    """Write `count` articles (copies of the source texts, ids first..) as .txt files."""
    texts = source_texts()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + count):
        name, text = texts[i % len(texts)]
        (folder / f"{i:06d}_{name}.txt").write_text(text, encoding="utf-8")
    return folder


def settings(tmp: Path, name: str, **overrides: object) -> dict[str, object]:
    """Config overrides of one run: its own output folder, the shared settings, then `overrides`."""
    known = load_config().as_dict()
    keys = {**SAME_WORK, "output.out_dir": tmp / f"out_{name}", **overrides}
    # keys another version of the config may not have yet are left out
    return {k: v for k, v in keys.items() if k.partition(".")[2] in known.get(k.partition(".")[0], {})}


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "?",
    )
    mem = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} CPUs, {model}, {int(mem) / 1024**2:.1f} GiB RAM; "
        f"Python {platform.python_version()}, spaCy {spacy.__version__}; load average {load}"
    )


def plain_spacy(folder: Path, config: PipelineConfig) -> tuple[int, int, float]:
    """(tokens, sentences, seconds) of nlp.pipe alone over the pipeline's cleaned blocks."""
    rules = BoilerplateRules.from_dict(data.read_toml(config.clean.rules_file, "boilerplate.toml"))
    blocks = [
        block.text
        for article in read_articles([folder], config.input.extensions)
        if not isinstance(article, ReadError)
        for block in clean(article, rules, max_block_chars=config.clean.max_block_chars).blocks
    ]
    nlp = load_nlp(config.annotate.model, parse=config.annotate.parse)
    needed = ", ".join(needed_components(parse=config.annotate.parse))
    print(f"  components: {', '.join(nlp.pipe_names)} (needed_components(parse={config.annotate.parse}): {needed})")
    print(f"  {len(blocks)} blocks, batch_size {config.annotate.batch_size}")
    # one untimed pass first: the first time the model meets a word it adds it
    # to the vocabulary and allocates buffers (about 3x slower on a small
    # corpus); the full pipeline measured next runs in this process too and
    # meets those words already known
    for _ in nlp.pipe(blocks, batch_size=config.annotate.batch_size):
        pass
    tokens = sentences = 0
    started = time.perf_counter()
    for doc in nlp.pipe(blocks, batch_size=config.annotate.batch_size):
        tokens += len(doc)
        sentences += sum(1 for _ in doc.sents)
    return tokens, sentences, time.perf_counter() - started


def per_article_seconds(result: RunResult) -> float:
    """Wall time of the per-article stages (read, clean, annotate, link), model loading left out."""
    return result.timings["articles"] - result.timings.get("model", 0.0)


def write_extra_kb(folder: Path) -> Path:
    """A one-entity knowledge base, as a user would add beside models/kb."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entities.csv").write_text(
        "entity_id,name,type,wikidata,description,source\nbench:1,Konstantin Asmolov,PER,,chercheur,benchmark\n",
        encoding="utf-8",
    )
    (folder / "aliases.csv").write_text("alias,entity_id,match\nKonstantin Asmolov,bench:1,always\n", encoding="utf-8")
    return folder


def peak_rss_mib(folder: Path, overrides: dict[str, object]) -> float:
    """Peak resident memory (MiB) of a child process running the full pipeline."""
    code = CHILD.format(
        project=str(PROJECT),
        folder=str(folder),
        overrides={k: str(v) if isinstance(v, Path) else v for k, v in overrides.items()},
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if child.returncode:
        raise RuntimeError(f"child run failed with exit status {child.returncode}: {child.stderr[-2000:]}")
    articles, kib = child.stdout.split()[-2:]
    print(f"    child annotated {articles} articles")
    return int(kib) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=500, help="corpus size (default 500)")
    parser.add_argument("--rss-articles", type=int, default=0, help="1x size of the memory runs (default articles/10)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run (30 articles)")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated parts to run (default all: {','.join(PARTS)})"
    )
    args = parser.parse_args(argv)
    n = 30 if args.quick else args.articles
    rss_n = args.rss_articles or max(n // 10, 3)
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))}; allowed: {', '.join(PARTS)}")

    print(machine())
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    with tempfile.TemporaryDirectory(prefix="pressgraph-bench-") as name:
        tmp = Path(name)
        corpus = write_corpus(tmp / "corpus", n)
        size = sum(p.stat().st_size for p in corpus.iterdir())
        print(f"corpus: {n} articles, {size / 1e6:.2f} MB of text\n")
        no_cache = {"annotate.use_cache": False, "annotate.cache_dir": tmp / "unused-cache"}

        def full_run(name: str, **overrides: object) -> RunResult:
            return run([corpus], load_config(overrides=settings(tmp, name, **overrides)))

        one = None
        if "throughput" in parts:
            print("(a) plain spaCy nlp.pipe over the same blocks")
            config = load_config(overrides=settings(tmp, "a", **no_cache))
            tokens, sentences, secs_a = plain_spacy(corpus, config)
            print(f"  {tokens} tokens, {sentences} sentences in {secs_a:.1f} s: {tokens / secs_a:.0f} tokens/s")

            print("(b) full pipeline, every stage, outputs written, cache off, annotate.workers = 1")
            one = full_run("b", **no_cache, **{"annotate.workers": 1})
            run_sentences = json.loads((one.out_dir / "run.json").read_text(encoding="utf-8"))["counts"]["sentences"]
            print(
                f"  {one.articles} articles, {run_sentences} sentences (plain spaCy: {sentences}) "
                f"in {one.seconds:.1f} s: {tokens / one.seconds:.0f} tokens/s"
            )
            print(f"  stage seconds: {one.timings}")
            print(f"  ratio b/a (tokens/s): {secs_a / one.seconds:.2f}\n")

        if "workers" in parts:
            print("workers: annotate.workers = 1 vs 2 (cache off)")
            one = one or full_run("w1", **no_cache, **{"annotate.workers": 1})
            two = full_run("w2", **no_cache, **{"annotate.workers": 2})
            p1, p2 = per_article_seconds(one), per_article_seconds(two)
            print(
                f"  per-article stages (annotate + link, wall): {p1:.1f} s with 1 worker, {p2:.1f} s with 2: "
                f"speedup {p1 / p2:.2f}x"
            )
            print(
                f"  whole run: {one.seconds:.1f} s vs {two.seconds:.1f} s: speedup {one.seconds / two.seconds:.2f}x\n"
            )

        if "cache" in parts:
            print("cache: cold run, then a second run on the unchanged corpus")
            cache = {"annotate.use_cache": True, "annotate.cache_dir": tmp / "cache"}
            cold = full_run("cold", **cache)
            warm = full_run("warm", **cache)
            print(
                f"  cold {cold.seconds:.1f} s ({cold.annotated} annotated); "
                f"warm {warm.seconds:.2f} s ({warm.annotated} annotated, {warm.cache_hits} cache hits); "
                f"warm stage seconds: {warm.timings}"
            )
            ratio = warm.seconds / cold.seconds
            print(f"  warm/cold time: {ratio:.3f} (new output folder: corpus stages and export redone)")
            same = full_run("cold", **cache)
            print(
                f"  warm into the cold run's folder (outputs up to date, left alone): {same.seconds:.2f} s, "
                f"warm/cold {same.seconds / cold.seconds:.3f}"
            )
            kb = write_extra_kb(tmp / "extra-kb")
            relinked = full_run("kb", **cache, **{"link.extra_kb_dirs": [kb]})
            print(
                f"  knowledge base changed: {relinked.annotated} annotated, {relinked.cache_hits} cache hits, "
                f"{relinked.seconds:.1f} s"
            )
            write_corpus(corpus, 1, first=n)
            more = full_run("more", **cache)
            print(
                f"  one article added: {more.articles} articles, {more.cache_hits} cache hits, "
                f"{more.annotated} annotated by the model, {more.seconds:.1f} s\n"
            )

        if "memory" in parts:
            print(f"memory: peak RSS of the full pipeline (child process, cache off), {rss_n} vs {10 * rss_n} articles")
            rss1 = peak_rss_mib(write_corpus(tmp / "rss1", rss_n), settings(tmp, "rss1", **no_cache))
            rss10 = peak_rss_mib(write_corpus(tmp / "rss10", 10 * rss_n), settings(tmp, "rss10", **no_cache))
            print(f"  {rss1:.0f} MiB for {rss_n}, {rss10:.0f} MiB for {10 * rss_n}: ratio {rss10 / rss1:.2f}")
    print(f"\n{machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
