"""pressgraph: French news articles -> a graph of who and what they mention together.

    from pipeline import load_config, read_outputs, run
    result = run(["data/articles"], load_config())
    outputs = read_outputs(result.out_dir)

The names are imported when first used: spaCy imports `pipeline.components`
(the `kb_linker` factory) whenever it builds a pipeline, and that must not
pull in the whole package.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_NAMES = {
    "PipelineConfig": "pipeline.config",
    "load_config": "pipeline.config",
    "RunResult": "pipeline.flow",
    "run": "pipeline.flow",
    "read_outputs": "pipeline.store",
}
__all__ = [*_NAMES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
