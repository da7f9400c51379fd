"""The GitHub workflows: zizmor and actionlint pass on them, and the rules the project
holds them to (least privilege, pinned actions, time limits, the nightly matrix) hold."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
NIGHTLY = WORKFLOWS / "nightly.yml"

#: ``owner/repo[/path]@<40 hex>``: a tag or branch can be moved, a commit cannot.
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)\s*(?P<comment>#.*)?$")
VERSION_COMMENT = re.compile(r"^# v\d+\.\d+\.\d+$")


def tool(name: str) -> str:
    """A tool of the test extra, beside this interpreter or on PATH; missing is a failure."""
    found = shutil.which(name, path=sysconfig.get_path("scripts")) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; it is in the test extra: pip install -e '.[test]'")
    return found


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: not a YAML mapping"
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key ``on`` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def jobs(workflow: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    return dict(workflow.get("jobs") or {})


def scripts(job: dict[str, Any]) -> str:
    """Every ``run:`` script of a job, one after the other."""
    return "\n".join(str(step["run"]) for step in job.get("steps", []) if "run" in step)


def uses(job: dict[str, Any]) -> list[str]:
    return [str(step["uses"]) for step in job.get("steps", []) if "uses" in step]


def problems(workflow: dict[Any, Any], text: str) -> list[str]:
    """What breaks the project's rules for workflows; empty when none."""
    found = []
    if workflow.get("permissions") != {}:
        found.append("top-level permissions must be {} (each job asks for what it needs)")
    if "concurrency" not in workflow:
        found.append("no concurrency group")
    for name, job in jobs(workflow).items():
        if "timeout-minutes" not in job:
            found.append(f"job {name}: no timeout-minutes")
        permissions = job.get("permissions")
        if not isinstance(permissions, dict):
            found.append(f"job {name}: no permissions mapping of its own")
            permissions = {}
        pushes = permissions.get("contents") == "write"
        for step in job.get("steps", []):
            ref = step.get("uses")
            if ref and not PINNED.match(ref):
                found.append(f"job {name}: {ref} is not pinned to a full commit SHA")
            keeps = (step.get("with") or {}).get("persist-credentials") is not False
            if ref and ref.startswith("actions/checkout@") and keeps and not pushes:
                found.append(f"job {name}: a checkout keeps its credentials")
            if "${{" in str(step.get("run", "")):
                found.append(f"job {name}: an expression inside a run script (pass it by env)")
    for line in text.splitlines():
        match = USES_LINE.match(line)
        if match and not VERSION_COMMENT.match((match["comment"] or "").strip()):
            found.append(f"{match['ref']}: no '# vX.Y.Z' comment naming the pinned release")
    return found


def matrix_legs(job: dict[str, Any]) -> set[tuple[str, str]]:
    """The (os, python) pairs a job's matrix runs: the product plus ``include``."""
    matrix = job["strategy"]["matrix"]
    legs = set(itertools.product(matrix.get("os", []), matrix.get("python", [])))
    legs |= {(leg["os"], leg["python"]) for leg in matrix.get("include", [])}
    return legs


# --- the tools -------------------------------------------------------------------------


def test_zizmor_passes_offline() -> None:
    out = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--color", "never", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_passes() -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) >= 2
    out = subprocess.run(
        [tool("actionlint"), *files], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


BAD_WORKFLOW = """\
name: bad
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-latest
    needs: nowhere
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


@pytest.mark.parametrize(
    ("name", "args"), [("zizmor", ["--offline", "--no-progress"]), ("actionlint", [])]
)
def test_the_tools_reject_a_bad_workflow(tmp_path: Path, name: str, args: list[str]) -> None:
    """The passing runs above mean something: the same tools fail a bad workflow."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    out = subprocess.run(
        [tool(name), *args, str(bad)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert out.returncode != 0, out.stdout + out.stderr


# --- the project's rules ---------------------------------------------------------------


@pytest.mark.parametrize("path", [CI, NIGHTLY], ids=lambda p: p.name)
def test_workflow_follows_the_rules(path: Path) -> None:
    assert problems(load(path), path.read_text(encoding="utf-8")) == []


def test_the_rules_catch_each_violation() -> None:
    found = problems(yaml.safe_load(BAD_WORKFLOW), BAD_WORKFLOW)
    expected = [
        "top-level permissions must be {}",
        "no concurrency group",
        "job greet: no timeout-minutes",
        "job greet: no permissions mapping",
        "job greet: actions/checkout@v4 is not pinned",
        "job greet: a checkout keeps its credentials",
        "job greet: an expression inside a run script",
        "actions/checkout@v4: no '# vX.Y.Z' comment",
    ]
    for message in expected:
        assert any(p.startswith(message) for p in found), (message, found)


def test_only_the_recording_job_writes_contents() -> None:
    for path in (CI, NIGHTLY):
        for name, job in jobs(load(path)).items():
            writes = {k for k, v in job["permissions"].items() if v == "write"}
            allowed = {
                ("nightly.yml", "record"): {"contents"},
                ("nightly.yml", "deploy"): {"pages", "id-token"},
            }.get((path.name, name), set())
            assert writes <= allowed, (path.name, name, writes)


def test_ci_runs_every_check() -> None:
    ci = load(CI)
    assert {"push", "pull_request"} <= set(triggers(ci))
    by_name = jobs(ci)
    assert {"lint", "tests", "smoke", "site", "browser"} <= set(by_name)
    lint = scripts(by_name["lint"])
    for command in ("ruff check", "ruff format --check", "mypy", "zizmor --offline", "actionlint"):
        assert command in lint, command
    assert "pytest" in scripts(by_name["tests"])
    smoke = scripts(by_name["smoke"])
    assert "bench run --profile smoke" in smoke
    assert "bench validate" in smoke
    assert "mkdocs build --strict" in scripts(by_name["site"])
    browser = scripts(by_name["browser"])
    assert "pytest -m browser" in browser
    assert "BENCH_CHROMIUM" in browser


def test_nightly_runs_the_matrix_records_and_deploys() -> None:
    nightly = load(NIGHTLY)
    on = triggers(nightly)
    assert "workflow_dispatch" in on
    assert on["schedule"][0]["cron"]
    by_name = jobs(nightly)

    run = by_name["run"]
    legs = matrix_legs(run)
    for python in ("3.13", "3.14", "3.14t"):
        assert ("ubuntu-latest", python) in legs, python
    assert any(os.startswith("macos") for os, _ in legs)
    assert any(os.startswith("windows") for os, _ in legs)
    assert "--profile standard" in scripts(run)
    assert "bench validate" in scripts(run)
    assert any(u.startswith("actions/upload-artifact@") for u in uses(run))

    record = by_name["record"]
    assert record["needs"] == "run"
    assert any(u.startswith("actions/download-artifact@") for u in uses(record))
    recording = scripts(record)
    assert "bench record" in recording
    assert "git push" in recording
    assert "git rebase" in recording  # the retry loop: new files never conflict

    site = by_name["site"]
    assert site["needs"] == "record"
    build = next(s for s in site["steps"] if "mkdocs build --strict" in str(s.get("run", "")))
    assert "BENCH_RESULTS" in build["env"]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses(site))

    deploy = by_name["deploy"]
    assert deploy["needs"] == "site"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(u.startswith("actions/deploy-pages@") for u in uses(deploy))
