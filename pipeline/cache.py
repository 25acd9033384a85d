"""Per-article cache of the neural model's output.

The key is a hash of what the annotate stage reads: the cleaned blocks of the
article, the model's name, version and components, and the annotate settings.
Changing the knowledge base, the linking rules or the relation settings does
not change the key, so such runs never call the model again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

from pipeline.records import AnnotatedArticle, CleanArticle

# Bump when the layout of AnnotatedArticle or the way it is built changes.
FORMAT_VERSION = 1


def cache_key(article: CleanArticle, signature: str) -> str:
    """Hash of an article's blocks and the model/settings signature."""
    h = hashlib.sha256()
    h.update(f"{FORMAT_VERSION}\0{signature}\0{article.doc_id}\0".encode())
    for block in article.blocks:
        h.update(f"{block.kind}\0{block.raw_start}\0{block.raw_end}\0{block.text}\0".encode())
    return h.hexdigest()


def settings_signature(model_signature: str, settings: dict) -> str:
    return model_signature + "|" + json.dumps(settings, sort_keys=True)


class AnnotationCache:
    """Pickled AnnotatedArticles in `folder/ab/abcdef....pkl`."""

    def __init__(self, folder: Path, *, read: bool = True):
        self.folder = Path(folder)
        self.read = read
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> AnnotatedArticle | None:
        if not self.read:
            self.misses += 1
            return None
        try:
            with open(self._path(key), "rb") as f:
                value = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: AnnotatedArticle) -> None:
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
