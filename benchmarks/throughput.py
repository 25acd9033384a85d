"""Whole-process speed, worker scaling, memory, cache and determinism of the pipeline; prints numbers.

Every measurement is a whole process, as a user runs it: plain spaCy in one
child process against `python -m pipeline run` (every stage, every output
written) in another, over the same input texts, interleaved, best of
`--rounds` (2). The headline corpus is a real one, the 250 BBC Afrique
articles of `../shared/corpora/bbc_afrique_train250.jsonl` (`--corpus`; read
in place, never copied into the repository); where more volume is needed it
is replicated with the proper names of each copy changed, so a copy brings
new entities as a larger real corpus would. The five shipped articles are the
second line.

    python benchmarks/throughput.py                  # about 15 minutes on 2 cores
    python benchmarks/throughput.py --quick          # 30 articles, one round: a smoke run

See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpora" / "bbc_afrique_train250.jsonl"
SHIPPED = PROJECT / "data" / "articles"
PARTS = ("ratio", "workers", "scaled-workers", "memory", "cache", "identity")

# The model's own layers a run with parse and NER cannot do without: the
# anchor the pipeline is measured against.
RAW_COMPONENTS = ("tok2vec", "parser", "ner")

# Plain spaCy over the input texts, as a user would write it: the model's
# default batch size (or `--raw-batch-size`), nothing else. Prints its peak RSS (KiB) last.
RAW_CHILD = """
import json, sys
from pathlib import Path
import spacy
model, keep, inputs, batch_size = {model!r}, {keep!r}, {inputs!r}, {batch_size!r}
texts = []
for name in inputs:
    path = Path(name)
    if path.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(path.glob("*.txt"))]
    else:
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
nlp = spacy.load(model, exclude=[n for n in spacy.info(model)["components"] if n not in keep])
for name in [n for n in nlp.disabled if n in keep]:
    nlp.enable_pipe(name)
assert tuple(nlp.pipe_names) == tuple(keep), nlp.pipe_names
batch_size = batch_size or nlp.batch_size
tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=batch_size))
hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
print(json.dumps({{"tokens": tokens, "texts": len(texts), "batch_size": batch_size, "vmhwm_kib": hwm}}))
"""

# `python -m pipeline run ARGS`, then (last line) its peak RSS in KiB and
# whether this process loaded the model. VmHWM is this process's own
# high-water mark (worker processes have their own).
PIPELINE_CHILD = """
import json, sys
sys.path.insert(0, {project!r})
from pipeline.cli import main
status = main({argv!r})
nlp = sys.modules.get("pipeline.nlp")
loaded = nlp.load_nlp.cache_info().currsize if nlp else 0
hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
print(json.dumps({{"status": status, "vmhwm_kib": hwm, "models_loaded": loaded}}))
"""


@dataclass
class Run:
    """One child process: its wall time, the JSON its last line printed, and the run.json it wrote.

    `cpu` is the CPU time of the child and its own children (its worker
    processes); `others` the CPUs the rest of the machine kept busy on
    average meanwhile (from /proc/stat): on a shared machine it tells
    whether a slow run had the cores it asked for.
    """

    seconds: float
    report: dict
    cpu: float
    others: float
    run_json: dict = field(default_factory=dict)
    out: Path | None = None

    @property
    def rss_mib(self) -> float:
        return self.report["vmhwm_kib"] / 1024

    @property
    def timings(self) -> dict:
        return self.run_json.get("timings", {})


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (/proc/stat: all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child(code: str) -> tuple[float, dict, float, float]:
    """Run `code` in a new Python process: (wall seconds, the JSON of its last stdout line,
    its CPU seconds, CPUs the rest of the machine kept busy meanwhile)."""
    busy, cpu, started = busy_cpu_seconds(), child_cpu_seconds(), time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=PROJECT)
    seconds = time.perf_counter() - started
    cpu = child_cpu_seconds() - cpu
    others = max(busy_cpu_seconds() - busy - cpu, 0.0) / seconds
    if done.returncode:
        raise RuntimeError(f"child process failed with exit status {done.returncode}: {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1]), cpu, others


def raw_spacy(inputs: list[Path], model: str, batch_size: int | None = None) -> Run:
    code = RAW_CHILD.format(model=model, keep=RAW_COMPONENTS, inputs=[str(p) for p in inputs], batch_size=batch_size)
    return Run(*child(code))


def pipeline_run(inputs: list[Path], out: Path, config: Path, *args: str) -> Run:
    """`python -m pipeline run` over `inputs` into `out` with the settings file `config`."""
    argv = ["run", *map(str, inputs), "--out", str(out), "--config", str(config), "--no-progress", *args]
    seconds, report, cpu, others = child(PIPELINE_CHILD.format(project=str(PROJECT), argv=argv))
    if report["status"]:
        raise RuntimeError(f"python -m pipeline {' '.join(argv)} exited with status {report['status']}")
    return Run(seconds, report, cpu, others, json.loads((out / "run.json").read_text(encoding="utf-8")), out)


def write_settings(path: Path, *, cache_dir: Path, use_cache: bool, keep_duplicates: bool = False, extra_kb: str = ""):
    """A settings file for the pipeline runs (TOML, the keys the benchmark changes)."""
    lines = [
        "[input]",
        f"keep_duplicates = {str(keep_duplicates).lower()}",
        "[annotate]",
        f"use_cache = {str(use_cache).lower()}",
        f"cache_dir = {json.dumps(str(cache_dir))}",
    ]
    if extra_kb:
        lines += ["[link]", f"extra_kb_dirs = [{json.dumps(extra_kb)}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# A capitalised word after a lower-case word or a comma: most often a proper name.
_NAME = re.compile(r"(?<=[a-zà-ÿ0-9,;:'’] )[A-ZÀ-Ý][a-zà-ÿ]{2,}")
_SYLLABLES = ("ka", "lo", "mi", "nu", "ré", "sa", "to", "vi")


def renamed(text: str, copy: int) -> str:
    """`text` with its proper names changed for copy number `copy` (0: unchanged)."""
    suffix, n = "", copy
    while n:
        n, digit = divmod(n - 1, len(_SYLLABLES))
        suffix = _SYLLABLES[digit] + suffix
    return _NAME.sub(lambda m: m.group(0) + suffix, text) if suffix else text


def write_corpus(source: Path, target: Path, *, copies: int, limit: int = 0) -> Path:
    """`copies` copies of the JSON Lines corpus `source` (its first `limit` records if > 0), names changed."""
    records = [json.loads(line) for line in source.open(encoding="utf-8") if line.strip()]
    records = records[:limit] if limit else records
    with target.open("w", encoding="utf-8") as f:
        for copy in range(copies):
            for r in records:
                doc_id = r["id"] if copy == 0 else f"{r['id']}-copy{copy}"
                f.write(json.dumps({"id": doc_id, "text": renamed(r["text"], copy)}, ensure_ascii=False) + "\n")
    return target


def write_extra_kb(folder: Path) -> Path:
    """A one-entity knowledge base, as a user would add beside models/kb."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entities.csv").write_text(
        "entity_id,name,type,wikidata,description,source\nbench:1,Konstantin Asmolov,PER,,chercheur,benchmark\n",
        encoding="utf-8",
    )
    (folder / "aliases.csv").write_text("alias,entity_id,match\nKonstantin Asmolov,bench:1,always\n", encoding="utf-8")
    return folder


def different_files(a: Path, b: Path) -> list[str]:
    """Files that differ between two output folders, or are in one only (run.json, which holds timings, left out)."""

    def files(folder: Path) -> set[str]:
        return {str(p.relative_to(folder)) for p in folder.resolve().rglob("*") if p.is_file()} - {"run.json"}

    a, b = a.resolve(), b.resolve()
    names = sorted(files(a) | files(b))
    return [n for n in names if not ((a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, False))]


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
        f"Python {platform.python_version()}; load average {load}"
    )


def same(diff: list[str]) -> str:
    return "byte-identical" if not diff else f"DIFFERENT: {', '.join(diff)}"


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def walls(runs: list[Run]) -> str:
    """Each run's wall seconds, with its CPU seconds and the CPUs others kept busy meanwhile."""
    return ", ".join(f"{r.seconds:.1f} s (cpu {r.cpu:.1f} s, others {r.others:.1f} CPUs)" for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help=f"JSON Lines corpus (default {DEFAULT_CORPUS})"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved rounds; the best of them is kept (default 2)"
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=4,
        help="copies of the corpus in the larger runs (memory, scaled-workers; default 4)",
    )
    parser.add_argument("--quick", action="store_true", help="the first 30 articles, one round: a smoke run")
    parser.add_argument(
        "--raw-batch-size",
        type=int,
        help="plain spaCy's batch size in the ratio part (default: the model's, 256); the pipeline's is unchanged",
    )
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated parts to run (default all: {','.join(PARTS)})"
    )
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))}; allowed: {', '.join(PARTS)}")
    if not args.corpus.is_file():
        parser.error(f"--corpus {args.corpus}: no such file (a JSON Lines file with `id` and `text` keys)")
    rounds = 1 if args.quick else args.rounds
    sys.path.insert(0, str(PROJECT))
    from pipeline.config import load_config  # light: no spaCy in this process

    model = load_config().annotate.model

    print(machine())
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    with tempfile.TemporaryDirectory(prefix="pressgraph-bench-") as name:
        tmp = Path(name)
        corpus = write_corpus(args.corpus, tmp / "corpus.jsonl", copies=1, limit=30 if args.quick else 0)
        articles = sum(1 for _ in corpus.open(encoding="utf-8"))
        print(f"corpus: {articles} articles of {args.corpus.name}, {corpus.stat().st_size / 1e6:.2f} MB\n")
        no_cache = write_settings(tmp / "no-cache.toml", cache_dir=tmp / "unused-cache", use_cache=False)

        w1: dict[str, list[Run]] = {"corpus": [], "shipped": []}
        w2: list[Run] = []
        if parts & {"ratio", "workers", "memory", "identity"}:
            raw: dict[str, list[Run]] = {"corpus": [], "shipped": []}
            for r in range(rounds):
                for label, inputs in (("corpus", [corpus]), ("shipped", [SHIPPED])):
                    if label == "shipped" and "ratio" not in parts:
                        continue
                    if "ratio" in parts:
                        raw[label].append(raw_spacy(inputs, model, args.raw_batch_size))
                    w1[label].append(pipeline_run(inputs, tmp / f"w1-{label}-{r}" / "out", no_cache, "--workers", "1"))
                    if label == "corpus" and parts & {"workers", "identity"}:
                        w2.append(pipeline_run(inputs, tmp / f"w2-{r}" / "out", no_cache, "--workers", "2"))
            if "ratio" in parts:
                print(f"ratio: plain spaCy ({', '.join(RAW_COMPONENTS)}) vs python -m pipeline run, whole processes")
                for label in ("corpus", "shipped"):
                    a, b = best(raw[label]), best(w1[label])
                    print(
                        f"  {label}: {a.report['texts']} texts, {a.report['tokens']} tokens; plain spaCy "
                        f"(batch_size {a.report['batch_size']}) {a.seconds:.1f} s [{walls(raw[label])}], "
                        f"peak RSS {a.rss_mib:.0f} MiB; pipeline {b.seconds:.1f} s [{walls(w1[label])}], "
                        f"peak RSS {b.rss_mib:.0f} MiB"
                    )
                    print(f"    pipeline stage seconds: {b.timings}")
                    print(f"    ratio raw/pipeline: {a.seconds / b.seconds:.2f}")
                print()

        if "workers" in parts:
            a, b = best(w1["corpus"]), best(w2)
            per_a = a.timings["articles"] - a.timings.get("model", 0.0)
            per_b = b.timings["articles"] - b.timings.get("model", 0.0)
            print("workers: python -m pipeline run --workers 1 vs --workers 2 (cache off)")
            print(f"  whole process: {a.seconds:.1f} s [{walls(w1['corpus'])}] vs {b.seconds:.1f} s [{walls(w2)}]")
            print(f"  speedup whole process: {a.seconds / b.seconds:.2f}x")
            print(
                f"  per-article stages (read to link, model loading left out): {per_a:.1f} s vs {per_b:.1f} s: "
                f"{per_a / per_b:.2f}x"
            )
            print(f"  --workers 2 stage seconds (annotate and link summed over the workers): {b.timings}\n")

        if "scaled-workers" in parts:
            # the same comparison where the fixed cost (imports, model, export) weighs less
            scaled = write_corpus(args.corpus, tmp / "workers.jsonl", copies=args.scale, limit=30 if args.quick else 0)
            # the copies share most word 5-grams: kept, not skipped as near-duplicates
            keep = write_settings(
                tmp / "keep.toml", cache_dir=tmp / "unused-cache", use_cache=False, keep_duplicates=True
            )
            runs: dict[str, list[Run]] = {"1": [], "2": []}
            for r in range(rounds):
                for n in runs:
                    runs[n].append(pipeline_run([scaled], tmp / f"sw{n}-{r}" / "out", keep, "--workers", n))
            a, b = best(runs["1"]), best(runs["2"])
            per_a = a.timings["articles"] - a.timings.get("model", 0.0)
            per_b = b.timings["articles"] - b.timings.get("model", 0.0)
            articles = a.run_json["counts"]["articles"]
            print(f"scaled workers: x{args.scale} corpus ({articles} articles), --workers 1 vs 2 (cache off)")
            print(f"  whole process: {a.seconds:.1f} s [{walls(runs['1'])}] vs {b.seconds:.1f} s [{walls(runs['2'])}]")
            print(f"  speedup whole process: {a.seconds / b.seconds:.2f}x")
            print(f"  per-article stages: {per_a:.1f} s vs {per_b:.1f} s: {per_a / per_b:.2f}x")
            print(f"  byte-identical: {same(different_files(a.out, b.out))}\n")

        if "memory" in parts:
            copies = write_corpus(args.corpus, tmp / "scaled.jsonl", copies=args.scale, limit=30 if args.quick else 0)
            both = write_settings(
                tmp / "keep.toml", cache_dir=tmp / "unused-cache", use_cache=False, keep_duplicates=True
            )
            one = pipeline_run([corpus], tmp / "rss1" / "out", both)
            big = pipeline_run([copies], tmp / "rss-scaled" / "out", both)
            print("memory: peak RSS of python -m pipeline run (cache off, 1 worker, names changed in each copy)")
            print(
                f"  x1 ({one.run_json['counts']['articles']} articles, {one.run_json['counts']['entities']} "
                f"entities): {one.rss_mib:.0f} MiB in {one.seconds:.1f} s; x{args.scale} "
                f"({big.run_json['counts']['articles']} articles, {big.run_json['counts']['entities']} entities): "
                f"{big.rss_mib:.0f} MiB in {big.seconds:.1f} s"
            )
            print(f"  ratio x{args.scale}/x1: {big.rss_mib / one.rss_mib:.2f}\n")

        if "cache" in parts:
            cached = write_settings(tmp / "cache.toml", cache_dir=tmp / "cache", use_cache=True)
            out = tmp / "cached" / "out"
            cold = pipeline_run([corpus], out, cached)
            warm = [pipeline_run([corpus], out, cached) for _ in range(rounds)]
            fresh = pipeline_run([corpus], tmp / "cached-new" / "out", cached)
            w = best(warm)
            print("cache: a cold run (empty cache), then runs on the unchanged corpus, whole processes")
            print(f"  cold {cold.seconds:.1f} s ({cold.run_json['counts']['annotated']} annotated)")
            print(
                f"  warm into the same folder {w.seconds:.2f} s [{walls(warm)}] ({w.run_json['counts']['annotated']} "
                f"annotated, models loaded {w.report['models_loaded']}; in-run {w.run_json['seconds']:.2f} s: "
                f"{w.timings}): {100 * w.seconds / cold.seconds:.1f}% of cold"
            )
            print(
                f"  warm into a new folder (corpus stages and export redone) {fresh.seconds:.2f} s: "
                f"{100 * fresh.seconds / cold.seconds:.1f}% of cold"
            )
            kb = write_extra_kb(tmp / "extra-kb")
            edited = write_settings(tmp / "kb.toml", cache_dir=tmp / "cache", use_cache=True, extra_kb=str(kb))
            relinked = pipeline_run([corpus], out, edited)
            counts = relinked.run_json["counts"]
            print(
                f"  knowledge base edited (one more entity): {relinked.seconds:.1f} s, {counts['linked']} re-linked, "
                f"{counts['annotated']} annotated, models loaded in the process: {relinked.report['models_loaded']}\n"
            )

        if "identity" in parts:
            dask = pipeline_run([corpus], tmp / "dask" / "out", no_cache, "--executor", "dask", "--workers", "2")
            print("identity: output files of --workers 1, --workers 2 and --executor dask (run.json left out)")
            reference = w1["corpus"][0].out
            for label, other in (("--workers 2", w2[0].out), ("--executor dask --workers 2", dask.out)):
                diff = different_files(reference, other)
                print(f"  --workers 1 vs {label}: {same(diff)}")
            diff = different_files(reference, w1["corpus"][-1].out)
            print(f"  --workers 1, first vs last round: {same(diff)}")
            print(f"  (dask whole process {dask.seconds:.1f} s)\n")
    print(machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
