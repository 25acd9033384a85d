import subprocess
import sys


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd)


def test_help_explains_every_option():
    top = _cli("--help")
    assert top.returncode == 0 and "run" in top.stdout and "evaluate" in top.stdout
    run = _cli("run", "--help")
    for option in ("INPUT", "--out", "--config", "--workers", "--force", "--no-progress"):
        assert option in run.stdout


def test_missing_input_is_a_one_line_error(tmp_path):
    result = _cli("run", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"pressgraph: input not found: {tmp_path / 'nope'}"


def test_bad_config_is_reported(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[annotate]\nworkers = 0\n", encoding="utf-8")
    result = _cli("run", "--config", str(bad))
    assert result.returncode == 2
    assert "annotate.workers = 0 is invalid" in result.stderr
