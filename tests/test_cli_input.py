"""Bad input on the command line or in the environment: one line naming the bad value and
the exit code of the README's table, never a traceback; a disk that cannot take the output
is exit 3 with the file named."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import exit_codes
from bench.__main__ import main
from bench.environment import PROJECT_ROOT
from bench.results.read import validate_tree

FIXTURE_RESULTS = Path(__file__).parent / "fixtures" / "results"
SMOKE = ["--profile", "smoke"]

#: argv, environment, the bad value the one line must name.
BAD_USAGE = {
    "only-not-a-regex-list": (["list", "--only", "("], {}, "'('"),
    "only-not-a-regex-run": (["run", *SMOKE, "--only", "(", "--results", "{tmp}"], {}, "'('"),
    "max-file-mb-text": (["validate", "{tmp}"], {"BENCH_MAX_FILE_MB": "abc"}, "'abc'"),
    "max-file-mb-infinite": (["list"], {"BENCH_MAX_FILE_MB": "inf"}, "'inf'"),
    "max-file-mb-zero": (["history", "--check"], {"BENCH_MAX_FILE_MB": "0"}, "'0'"),
    "tls-scheduler": (
        [
            "run",
            *SMOKE,
            "--only",
            "count_primes",
            "--results",
            "{tmp}",
            "--dask-scheduler",
            "tls://127.0.0.1:8786",
        ],
        {},
        "tls://127.0.0.1:8786",
    ),
    "scheduler-without-port": (
        ["run", *SMOKE, "--only", "count_primes", "--dask-scheduler", "tcp://host"],
        {},
        "tcp://host",
    ),
    "python-open-quote": (
        ["run", *SMOKE, "--results", "{tmp}", "--python", '/usr/bin/python3 "-X gil=1'],
        {},
        '"-X gil=1',
    ),
    "machine-with-space": (["run", *SMOKE, "--machine", "My Laptop"], {}, "'My Laptop'"),
    "machine-path": (["run", *SMOKE, "--machine", "../elsewhere"], {}, "'../elsewhere'"),
    "rounds-zero": (["run", *SMOKE, "--rounds", "0"], {}, "'0'"),
    "timeout-nan": (["run", *SMOKE, "--timeout", "nan"], {}, "'nan'"),
    "alpha-above-one": (["history", "--alpha", "2"], {}, "'2'"),
    "report-no-folder": (["report", "--results", "{tmp}/nowhere"], {}, "nowhere"),
    "record-no-folder": (["record", "{tmp}/nowhere"], {}, "nowhere"),
    "history-no-folder": (["history", "--history", "{tmp}/nowhere"], {}, "nowhere"),
    "unknown-option": (["validate", "{tmp}", "--frobnicate"], {}, "--frobnicate"),
}


def outcome(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """The exit code of ``python -m bench ARGV`` (run here: a traceback fails the test)
    and the lines it printed on stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exit
        code = int(exc.code or 0)
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.parametrize(("argv", "environ", "named"), BAD_USAGE.values(), ids=BAD_USAGE.keys())
def test_bad_input_is_one_line_naming_it_and_exit_2(
    argv: list[str],
    environ: dict[str, str],
    named: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    code, lines = outcome([arg.replace("{tmp}", str(tmp_path)) for arg in argv], capsys)
    assert code == exit_codes.USAGE, lines
    assert len(lines) == 1 and named in lines[0], lines
    assert list(tmp_path.iterdir()) == []  # nothing was started, nothing written


def test_a_bad_setting_fails_the_site_build_in_one_line(tmp_path: Path) -> None:
    for setting in ({"BENCH_STALE_DAYS": "inf"}, {"BENCH_MAX_FILE_MB": "abc"}):
        built = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
            capture_output=True, text=True, cwd=PROJECT_ROOT, check=False,
            env=os.environ | setting | {"BENCH_SITE_CACHE": str(tmp_path / "cache")},
        )  # fmt: skip
        assert built.returncode == 1, built.stderr
        assert "Traceback" not in built.stderr
        (value,) = setting.values()
        assert any(f"={value!r} is not a number" in line for line in built.stderr.splitlines())


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fsync fails as on a full disk (no file name: the writer must add it)."""

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)


@pytest.mark.parametrize("disk", ["full", "not-a-folder"])
def test_a_report_that_cannot_be_written_is_exit_3_naming_the_file(
    disk: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    if disk == "full":
        full_disk(monkeypatch)
    else:  # a folder that cannot be made, as on a read-only disk
        (tmp_path / "file").write_text("", encoding="utf-8")
        out = tmp_path / "file" / "report"
    code, lines = outcome(["report", "--results", str(FIXTURE_RESULTS), "--out", str(out)], capsys)
    assert code == exit_codes.NOT_WRITTEN, lines
    assert len(lines) == 1 and str(out) in lines[0], lines


def test_a_record_onto_a_full_disk_is_exit_3_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (run,) = FIXTURE_RESULTS.glob("*/*")
    copy = tmp_path / "results" / run.parent.name / run.name
    shutil.copytree(run, copy)
    full_disk(monkeypatch)
    history = tmp_path / "history"
    code, lines = outcome(["record", str(copy), "--history", str(history)], capsys)
    assert code == exit_codes.NOT_WRITTEN, lines
    assert len(lines) == 1 and str(history) in lines[0], lines
    assert not (history / run.parent.name).exists()  # nothing half-recorded


@pytest.mark.slow
def test_every_machine_name_the_run_accepts_the_reader_accepts(tmp_path: Path) -> None:
    """``--machine "My Laptop"`` ran, then validate, record and the site refused its files."""
    machine = "My_Laptop+2.local"
    ran = subprocess.run(
        [sys.executable, "-m", "bench", "run", *SMOKE, "--only", r"^count_primes\[1ms\] threads ",
         "--machine", machine, "--results", str(tmp_path)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert [p.name for p in tmp_path.iterdir()] == [machine]
    assert validate_tree(tmp_path) == []
