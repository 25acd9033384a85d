"""One frozen configuration object, loaded from TOML.

The defaults and their documentation live in `default_config.toml` inside the
package; a user's TOML file overrides single keys, and so do CLI flags
(`load_config(path, overrides={"annotate.workers": 2})`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from pipeline.records import Fields

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = Path(__file__).with_name("default_config.toml")

# Keys holding paths: relative values are resolved against the folder of the
# file that set them.
_PATH_KEYS = {
    ("clean", "rules_file"),
    ("link", "rules_file"),
    ("relate", "rules_file"),
    ("link", "kb_dir"),
    ("link", "extra_kb_dirs"),
}
# Outputs and caches are relative to the working directory.
_CWD_PATH_KEYS = {("output", "out_dir"), ("annotate", "cache_dir")}


@dataclass(frozen=True)
class InputConfig:
    extensions: tuple[str, ...]
    id_field: str
    text_field: str
    title_field: str
    date_field: str
    url_field: str
    french_only: bool
    duplicate_threshold: float
    keep_duplicates: bool
    max_bytes: int

    @property
    def fields(self) -> Fields:
        return Fields(self.id_field, self.text_field, self.title_field, self.date_field, self.url_field)


@dataclass(frozen=True)
class CleanConfig:
    rules_file: Path
    max_block_chars: int


@dataclass(frozen=True)
class AnnotateConfig:
    model: str
    batch_size: int
    batch_chars: int
    workers: int
    executor: str
    scheduler: str
    partition_size: int
    parse: bool
    cache_dir: Path
    use_cache: bool


@dataclass(frozen=True)
class LinkConfig:
    rules_file: Path
    kb_dir: Path
    extra_kb_dirs: tuple[Path, ...]


@dataclass(frozen=True)
class RelateConfig:
    relations: bool
    rules_file: Path
    window: str
    window_sentences: int
    fold_metonyms: bool
    fold_capitals: bool
    backbone_alpha: float
    min_weight: int


@dataclass(frozen=True)
class OutputConfig:
    out_dir: Path
    raw_csv: bool


@dataclass(frozen=True)
class PipelineConfig:
    input: InputConfig
    clean: CleanConfig
    annotate: AnnotateConfig
    link: LinkConfig
    relate: RelateConfig
    output: OutputConfig

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Plain JSON-ready values, for run.json and cache keys."""
        return {
            f.name: {k.name: _plain(getattr(getattr(self, f.name), k.name)) for k in fields(getattr(self, f.name))}
            for f in fields(self)
        }


_SECTION_TYPES = {
    "input": InputConfig,
    "clean": CleanConfig,
    "annotate": AnnotateConfig,
    "link": LinkConfig,
    "relate": RelateConfig,
    "output": OutputConfig,
}


class ConfigError(ValueError):
    """A configuration file or override that cannot be used."""


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """Load the defaults, then the TOML file at `path`, then `overrides`.

    Args:
        path: a user's TOML file, or None for the defaults alone.
        overrides: "section.key" -> value, applied last (CLI flags).
    """
    values = _read_toml(DEFAULT_CONFIG, base=PROJECT_DIR, known=None)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        user = _read_toml(path, base=path.resolve().parent, known=values)
        for section, keys in user.items():
            values[section].update(keys)
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        if section not in values or key not in values[section]:
            raise ConfigError(f"unknown setting {dotted!r}")
        values[section][key] = _resolve(section, key, value, Path.cwd())
    config = PipelineConfig(**{name: _SECTION_TYPES[name](**keys) for name, keys in values.items()})
    _validate(config)
    return config


def with_overrides(config: PipelineConfig, **sections: dict[str, Any]) -> PipelineConfig:
    """A copy of `config` with some keys changed: `with_overrides(c, relate={"window": "document"})`."""
    changed = {name: replace(getattr(config, name), **keys) for name, keys in sections.items()}
    return replace(config, **changed)


def _read_toml(path: Path, *, base: Path, known: dict | None) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {err}") from err
    out: dict[str, dict[str, Any]] = {}
    for section, keys in data.items():
        if known is not None and section not in known:
            raise ConfigError(f"{path}: unknown section [{section}]; allowed: {', '.join(sorted(known))}")
        if not isinstance(keys, dict):
            raise ConfigError(f"{path}: {section} must be a [section] table")
        out[section] = {}
        for key, value in keys.items():
            if known is not None and key not in known[section]:
                allowed = ", ".join(sorted(known[section]))
                raise ConfigError(f"{path}: unknown key {section}.{key}; allowed: {allowed}")
            out[section][key] = _resolve(section, key, value, base)
    return out


def _resolve(section: str, key: str, value: Any, base: Path) -> Any:
    if (section, key) in _CWD_PATH_KEYS:
        return Path(value)
    if (section, key) in _PATH_KEYS:
        if isinstance(value, (list, tuple)):
            return tuple(_absolute(v, base) for v in value)
        return _absolute(value, base)
    if isinstance(value, list):
        return tuple(value)
    return value


def _absolute(value: str | Path, base: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _validate(config: PipelineConfig) -> None:
    a, r = config.annotate, config.relate
    if not config.input.text_field:
        raise ConfigError("input.text_field = '' is invalid; it must name the field holding the article text")
    if not 0 < config.input.duplicate_threshold <= 1:
        raise ConfigError(
            f"input.duplicate_threshold = {config.input.duplicate_threshold} is invalid; value must be in (0, 1]"
        )
    if config.clean.max_block_chars < 1000:
        raise ConfigError(f"clean.max_block_chars = {config.clean.max_block_chars} is invalid; value must be >= 1000")
    if a.batch_size < 1:
        raise ConfigError(f"annotate.batch_size = {a.batch_size} is invalid; value must be >= 1")
    if a.batch_chars < 1:
        raise ConfigError(f"annotate.batch_chars = {a.batch_chars} is invalid; value must be >= 1")
    if a.executor not in EXECUTORS:
        raise ConfigError(f"annotate.executor = {a.executor!r} is invalid; allowed: {', '.join(EXECUTORS)}")
    if a.partition_size < 1:
        raise ConfigError(f"annotate.partition_size = {a.partition_size} is invalid; value must be >= 1")
    if a.workers < 1:
        raise ConfigError(f"annotate.workers = {a.workers} is invalid; value must be >= 1")
    if r.window not in WINDOWS:
        raise ConfigError(f"relate.window = {r.window!r} is invalid; allowed: {', '.join(WINDOWS)}")
    if r.window_sentences < 1:
        raise ConfigError(f"relate.window_sentences = {r.window_sentences} is invalid; value must be >= 1")
    if not 0.0 <= r.backbone_alpha <= 1.0:
        raise ConfigError(f"relate.backbone_alpha = {r.backbone_alpha} is invalid; value must be in [0, 1]")
    if r.min_weight < 1:
        raise ConfigError(f"relate.min_weight = {r.min_weight} is invalid; value must be >= 1")


WINDOWS = ("sentence", "block", "document", "sentences")
EXECUTORS = ("local", "dask")


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
