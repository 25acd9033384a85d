import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"


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


def test_version_and_the_console_script_alias():
    from pipeline import __version__

    result = _cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"pressgraph {__version__}"
    script = Path(sys.executable).with_name("pressgraph")
    if script.exists():  # installed by pip install -e . (the console script in pyproject.toml)
        alias = subprocess.run([str(script), "--version"], capture_output=True, text=True)
        assert alias.stdout == result.stdout


def test_scheduler_without_the_dask_executor_is_an_error(tmp_path):
    result = _cli("run", "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith("error: --scheduler needs --executor dask")
    assert not (tmp_path / "o").exists()


def test_an_out_that_is_a_file_is_a_one_line_error(tmp_path):
    out = tmp_path / "outputs"
    out.write_text("not a folder", encoding="utf-8")
    result = _cli("run", str(ARTICLES), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"pressgraph: {out}: --out must be a folder, and this is a file"]
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_ctrl_c_ends_with_one_line_and_leaves_the_previous_outputs(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, src in enumerate(sorted(ARTICLES.glob("*.txt")) * 6):
        shutil.copyfile(src, corpus / f"{i:02d}_{src.name}")
    out, cache = tmp_path / "out", tmp_path / "cache"
    config = tmp_path / "c.toml"
    config.write_text(f'[input]\nkeep_duplicates = true\n[annotate]\ncache_dir = "{cache}"\nbatch_size = 4\n')
    first = _cli("run", str(ARTICLES), "--out", str(out), "--config", str(config), "--no-progress")
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".pressgraph.lock"}
    entries = len(list(cache.rglob("*.msgpack")))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(corpus), "--out", str(out), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while len(list(cache.rglob("*.msgpack"))) < entries + 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    lines = [line for line in err.splitlines() if line.strip() and "articles:" not in line]  # the bar, if drawn
    assert lines == ["pressgraph: interrupted; the previous outputs are left as they were"], err
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".pressgraph.lock"}
    assert after == before
