"""One frozen configuration object, loaded from TOML.

The defaults and their documentation live in `default_config.toml` inside the
package; a user's TOML file overrides single keys, and so do CLI flags
(`load_config(path, overrides={"annotate.workers": 2})`).

Every setting is checked as it is loaded, against the type of its field in
the section dataclasses below and the few limits in `_RULES`. A bad value is
a `ConfigError` of one line naming the file, the key, the value and what is
allowed: `my.toml: annotate.workers = 'two' is invalid; expected an integer >= 1`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from pipeline.records import Fields

DEFAULT_CONFIG = Path(__file__).with_name("default_config.toml")


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
    rules_file: Path | None  # None ("" in the settings): the packaged file, see pipeline.store.data
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
    rules_file: Path | None  # None: packaged
    kb_dir: Path | None  # None: packaged
    extra_kb_dirs: tuple[Path, ...]


@dataclass(frozen=True)
class RelateConfig:
    relations: bool
    rules_file: Path | None  # None: packaged
    window: str
    window_sentences: int
    fold_metonyms: bool
    fold_capitals: bool
    backbone_alpha: float
    min_weight: int
    max_sentence_entities: int
    max_evidence_per_edge: int


@dataclass(frozen=True)
class OutputConfig:
    out_dir: Path
    raw_csv: bool
    # graph analytics (pipeline.stages.export.build_graph's keyword arguments)
    exact_betweenness_max_nodes: int
    betweenness_samples: int


@dataclass(frozen=True)
class ReportConfig:
    """report.html; the names are `report_pieces`' (and `render_report`'s) keyword arguments."""

    max_nodes: int
    max_edges: int
    max_neighbours: int
    max_evidence: int
    top_entities: int
    layout_iterations: int
    colour_by: str


@dataclass(frozen=True)
class PipelineConfig:
    input: InputConfig
    clean: CleanConfig
    annotate: AnnotateConfig
    link: LinkConfig
    relate: RelateConfig
    output: OutputConfig
    report: ReportConfig

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Plain JSON-ready values, for run.json and cache keys (packaged data: null)."""
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
    "report": ReportConfig,
}
# section -> key -> the type of its field: what a settings file may hold.
_SETTINGS: dict[str, dict[str, Any]] = {name: get_type_hints(cls) for name, cls in _SECTION_TYPES.items()}

WINDOWS = ("sentence", "block", "document", "sentences")
EXECUTORS = ("local", "dask")
REPORT_COLOURS = ("type", "community")  # pipeline.views.report.COLOUR_MODES


@dataclass(frozen=True)
class _Rule:
    """What a setting allows beyond its type, in the words of the error message."""

    expected: str
    allows: Callable[[Any], bool] = lambda value: True


def _at_least(low: int) -> _Rule:
    return _Rule(f"an integer >= {low}", lambda value: value >= low)


def _between(low: int, high: int) -> _Rule:
    return _Rule(f"an integer from {low} to {high}", lambda value: low <= value <= high)


def _one_of(*choices: str) -> _Rule:
    return _Rule(f"one of {', '.join(map(repr, choices))}", lambda value: value in choices)


def _not_empty(what: str = "") -> _Rule:
    return _Rule(f"a non-empty string{what}", lambda value: value != "")


_RULES: dict[str, _Rule] = {
    "input.extensions": _Rule(
        'a list of file endings starting with "."', lambda value: all(e.startswith(".") for e in value)
    ),
    "input.text_field": _not_empty(" (the field holding the article text)"),
    "input.duplicate_threshold": _Rule("a number in (0, 1]", lambda value: 0 < value <= 1),
    "input.max_bytes": _at_least(1),
    "clean.rules_file": _Rule('a file path, or "" for the packaged rules'),
    # the longest text the model gets at once: its memory follows it
    "clean.max_block_chars": _between(1000, 100_000),
    "annotate.model": _not_empty(" (a spaCy pipeline)"),
    "annotate.batch_size": _at_least(1),
    "annotate.batch_chars": _at_least(1),
    "annotate.workers": _at_least(1),
    "annotate.executor": _one_of(*EXECUTORS),
    "annotate.partition_size": _at_least(1),
    "annotate.cache_dir": _Rule("a folder path"),
    "link.rules_file": _Rule('a file path, or "" for the packaged rules'),
    "link.kb_dir": _Rule('a folder path, or "" for the packaged knowledge base'),
    "link.extra_kb_dirs": _Rule("a list of folder paths"),
    "relate.rules_file": _Rule('a file path, or "" for the packaged rules'),
    "relate.window": _one_of(*WINDOWS),
    "relate.window_sentences": _at_least(1),
    "relate.backbone_alpha": _Rule("a number in [0, 1]", lambda value: 0 <= value <= 1),
    "relate.min_weight": _at_least(1),
    "relate.max_sentence_entities": _at_least(2),
    "relate.max_evidence_per_edge": _at_least(1),
    "output.out_dir": _Rule("a folder path"),
    "output.exact_betweenness_max_nodes": _at_least(0),
    "output.betweenness_samples": _at_least(1),
    "report.max_nodes": _at_least(0),
    "report.max_edges": _at_least(0),
    "report.max_neighbours": _at_least(1),
    "report.max_evidence": _at_least(0),
    "report.top_entities": _at_least(0),
    "report.layout_iterations": _at_least(1),
    "report.colour_by": _one_of(*REPORT_COLOURS),
}
# What a setting of each type holds, for the settings without a rule.
_TYPE_NAMES: dict[Any, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    Path: "a path",
    Path | None: 'a path, or "" for the packaged data',
    tuple[str, ...]: "a list of strings",
    tuple[Path, ...]: "a list of paths",
}
# Outputs and caches are relative to the working directory; other relative
# paths to the folder of the file that set them.
_CWD_PATHS = {"output.out_dir", "annotate.cache_dir"}


class ConfigError(ValueError):
    """A configuration file or override that cannot be used."""


class _Invalid(Exception):
    """A value that does not fit the type of its field."""


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """Load the defaults, then the TOML file at `path`, then `overrides`.

    Args:
        path: a user's TOML file, or None for the defaults alone.
        overrides: "section.key" -> value, applied last (CLI flags); paths
            are relative to the working directory.

    Raises:
        ConfigError: a file cannot be read, or names an unknown or bad setting.
    """
    values = _read_toml(DEFAULT_CONFIG)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        for section, keys in _read_toml(path).items():
            values[section].update(keys)
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        if key not in _SETTINGS.get(section, {}):
            raise ConfigError(f"unknown setting {dotted!r}")
        values[section][key] = _setting(section, key, value, base=Path.cwd())
    return PipelineConfig(**{name: _SECTION_TYPES[name](**keys) for name, keys in values.items()})


def with_overrides(config: PipelineConfig, **sections: dict[str, Any]) -> PipelineConfig:
    """A copy of `config` with some keys changed: `with_overrides(c, relate={"window": "document"})`.

    The values are checked like CLI overrides.
    """
    changed = {}
    for name, keys in sections.items():
        for key in keys:
            if key not in _SETTINGS.get(name, {}):
                raise ConfigError(f"unknown setting '{name}.{key}'")
        checked = {key: _setting(name, key, value, base=Path.cwd()) for key, value in keys.items()}
        changed[name] = replace(getattr(config, name), **checked)
    return replace(config, **changed)


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    """The checked settings of one TOML file; its relative paths are resolved against its folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {err}") from err
    base = path.resolve().parent
    out: dict[str, dict[str, Any]] = {}
    for section, keys in data.items():
        if section not in _SETTINGS:
            raise ConfigError(f"{path}: unknown section [{section}]; allowed: {', '.join(sorted(_SETTINGS))}")
        if not isinstance(keys, dict):
            raise ConfigError(f"{path}: {section} must be a [section] table")
        out[section] = {}
        for key, value in keys.items():
            if key not in _SETTINGS[section]:
                allowed = ", ".join(sorted(_SETTINGS[section]))
                raise ConfigError(f"{path}: unknown key {section}.{key}; allowed: {allowed}")
            try:
                out[section][key] = _setting(section, key, value, base=base)
            except ConfigError as err:
                raise ConfigError(f"{path}: {err}") from None
    return out


def _setting(section: str, key: str, value: Any, *, base: Path) -> Any:
    """The config value of `section.key` set to `value`, or a ConfigError saying what is allowed."""
    dotted = f"{section}.{key}"
    hint = _SETTINGS[section][key]
    rule = _RULES.get(dotted)
    try:
        converted = _convert(hint, value, Path() if dotted in _CWD_PATHS else base)
        if rule is None or rule.allows(converted):
            return converted
    except _Invalid:
        pass
    expected = rule.expected if rule else _TYPE_NAMES[hint]
    raise ConfigError(f"{dotted} = {_show(value)} is invalid; expected {expected}")


def _convert(hint: Any, value: Any, base: Path) -> Any:
    """`value` as a field of type `hint`; raises _Invalid when it is not one.

    A TOML bool is not an integer, an integer is a number, a path is a string
    (or a `Path` from Python callers) and a tuple a list.
    """
    if hint == Path | None:
        return None if value is None or value == "" else _convert(Path, value, base)
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, str):
        return value
    if hint is Path and isinstance(value, str | os.PathLike) and os.fspath(value) != "":
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if get_origin(hint) is tuple and isinstance(value, list | tuple):
        item = get_args(hint)[0]
        return tuple(_convert(item, v, base) for v in value)
    raise _Invalid


def _show(value: Any) -> str:
    """`value` for an error message, with TOML's true and false."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return f"[{', '.join(map(_show, value))}]"
    return repr(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
