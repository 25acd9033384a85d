"""Per-article caches: the neural model's output, and everything linked from it.

Two levels, each a folder of pickles keyed by a content hash:

- annotations (`AnnotatedArticle`): key = the cleaned blocks of the article,
  the model's name, version and components, and the annotate settings.
  Changing the knowledge base, the linking rules or the relation settings
  does not change it, so such runs never call the model again.
- article results (`ArticleResult`: mentions, relations, sentence rows): key
  = the annotation key, plus the knowledge base, the rule files, the
  settings and the source of the code that links and extracts relations. An
  unchanged article is then neither annotated nor linked again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.records import CleanArticle

# Bump when the layout of the cached records or the way they are built changes.
FORMAT_VERSION = 3


def cache_key(article: CleanArticle, signature: str) -> str:
    """Hash of an article's blocks and the model/settings signature."""
    h = hashlib.sha256()
    h.update(f"{FORMAT_VERSION}\0{signature}\0{article.doc_id}\0".encode())
    for block in article.blocks:
        h.update(f"{block.kind}\0{block.raw_start}\0{block.raw_end}\0{block.text}\0".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def settings_signature(model_signature: str, settings: dict) -> str:
    return model_signature + "|" + json.dumps(settings, sort_keys=True)


def files_signature(paths: Iterable[Path], settings: dict) -> str:
    """Hash of the bytes of `paths` (files, or every file under a folder) and of `settings`."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in paths:
        files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
        for file in files:
            h.update(f"\0{file.name}\0".encode("utf-8", "surrogateescape"))
            h.update(file.read_bytes())
    return h.hexdigest()


def derived_key(key: str, signature: str) -> str:
    return hashlib.sha256(f"{key}\0{signature}".encode()).hexdigest()


class PickleCache:
    """Pickled values in `folder/ab/abcdef....pkl`, written atomically."""

    def __init__(self, folder: Path, *, read: bool = True):
        self.folder = Path(folder)
        self.read = read
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> Any | None:
        if not self.read:
            self.misses += 1
            return None
        try:
            with open(self._path(key), "rb") as f:
                value = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def annotation_cache(folder: Path, *, read: bool = True) -> PickleCache:
    """The annotation level of the cache under `folder`."""
    return PickleCache(Path(folder) / "annotations", read=read)


def result_cache(folder: Path, *, read: bool = True) -> PickleCache:
    """The article-result level of the cache under `folder`."""
    return PickleCache(Path(folder) / "articles", read=read)
