"""pressgraph: French news articles -> a graph of who and what they mention together.

from pipeline import load_config, run
result = run(["data/articles"], load_config())
"""

from __future__ import annotations

__version__ = "0.1.0"

from pipeline.config import PipelineConfig, load_config  # noqa: E402
from pipeline.runner import RunResult, run  # noqa: E402

__all__ = ["PipelineConfig", "RunResult", "load_config", "run", "__version__"]
