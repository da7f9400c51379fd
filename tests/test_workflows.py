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


def matrix_legs(job: dict[str, Any], axis: str = "python") -> set[tuple[str, str]]:
    """The (os, ``axis``) pairs a job's matrix runs: the product plus ``include``."""
    matrix = job["strategy"]["matrix"]
    legs = set(itertools.product(matrix.get("os", []), matrix.get(axis, [])))
    legs |= {(leg["os"], leg[axis]) for leg in matrix.get("include", [])}
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


def test_only_the_publishing_job_writes_contents() -> None:
    for path in (CI, NIGHTLY):
        for name, job in jobs(load(path)).items():
            writes = {k for k, v in job["permissions"].items() if v == "write"}
            allowed = {
                ("nightly.yml", "publish"): {"contents"},
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
    legs = matrix_legs(run, "series")
    # every current series on Linux, its GIL build and its free-threaded build in one job
    for series in ("3.13", "3.14", "3.15"):
        assert ("ubuntu-latest", series) in legs, series
    versions = [step["with"]["python-version"] for step in run["steps"]
                if step.get("uses", "").startswith("actions/setup-python@")
                and step.get("with", {}).get("update-environment") is False]  # fmt: skip
    assert versions == ["${{ matrix.series }}", "${{ matrix.series }}t"]
    assert scripts(run).count("--python") == 2
    assert any(os.startswith("macos") for os, _ in legs)
    assert any(os.startswith("windows") for os, _ in legs)
    assert "--profile standard" in scripts(run)
    assert "bench validate" in scripts(run)
    assert any(u.startswith("actions/upload-artifact@") for u in uses(run))

    record = by_name["record"]
    assert record["needs"] == "run"
    assert any(u.startswith("actions/download-artifact@") for u in uses(record))
    assert "bench record" in scripts(record)
    assert any(u.startswith("actions/upload-artifact@") for u in uses(record))

    publish = by_name["publish"]
    assert publish["needs"] == "record"
    assert any(u.startswith("actions/download-artifact@") for u in uses(publish))
    pushing = scripts(publish)
    assert "push origin" in pushing  # git push, with the token given to that command only
    assert "git rebase" in pushing  # the retry loop: new files never conflict
    assert "--diff-filter=a" in pushing  # only additions reach the history

    site = by_name["site"]
    assert set(site["needs"]) == {"record", "publish"}
    build = next(s for s in site["steps"] if "mkdocs build --strict" in str(s.get("run", "")))
    assert "BENCH_RESULTS" in build["env"]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses(site))

    deploy = by_name["deploy"]
    assert deploy["needs"] == "site"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(u.startswith("actions/deploy-pages@") for u in uses(deploy))


# --- the write token and the cache (issue 15, defect 9) --------------------------------

#: Every action pin, checked against the action's own repository (``git show-ref --tags``
#: on a clone: the SHA is the commit the tag names). A new pin is added here only after
#: the same check, so a pin copied from elsewhere fails this module.
VERIFIED_PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/cache": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
}
CACHE_ACTIONS = ("actions/cache@", "actions/cache/restore@", "actions/cache/save@")
CACHE_WRITERS = ("actions/cache@", "actions/cache/save@")
TOKEN = re.compile(r"\$\{\{\s*(secrets\.GITHUB_TOKEN|github\.token)\s*\}\}")


def runs_installed_code(step: dict[str, Any]) -> bool:
    """A step that installs packages or runs Python (and so what was installed)."""
    script = str(step.get("run", ""))
    return "pip install" in script or re.search(r"\bpython\b|\bmkdocs\b", script) is not None


def credential_problems(workflow: dict[Any, Any]) -> list[str]:
    """Where a token is within reach of installed code; empty when nowhere."""
    found = []
    for name, job in jobs(workflow).items():
        steps = job.get("steps", [])
        installs = any("pip install" in str(step.get("run", "")) for step in steps)
        writes = "write" in (job.get("permissions") or {}).values()
        if writes and (
            any(runs_installed_code(s) for s in steps)
            or any(str(s.get("uses", "")).startswith("actions/setup-python@") for s in steps)
        ):
            found.append(f"job {name}: holds a write token and runs installed code")
        for index, step in enumerate(steps):
            ref = str(step.get("uses", ""))
            keeps = (step.get("with") or {}).get("persist-credentials") is not False
            if installs and ref.startswith("actions/checkout@") and keeps:
                found.append(f"job {name}: a checkout keeps its credentials where pip installs")
            token_in_env = any(TOKEN.search(str(v)) for v in (step.get("env") or {}).values())
            if token_in_env and any(runs_installed_code(s) for s in steps[: index + 1]):
                found.append(f"job {name}: a step gets the token after pip install")
    return found


def cache_problems(workflow: dict[Any, Any], builder: str | None) -> list[str]:
    """A cache restored by prefix, keyed on nothing of its own, or written by another job."""
    found = []
    for name, job in jobs(workflow).items():
        for step in job.get("steps", []):
            ref = str(step.get("uses", ""))
            if not ref.startswith(CACHE_ACTIONS):
                continue
            given = step.get("with") or {}
            if "restore-keys" in given:
                found.append(f"job {name}: a cache restored by a restore-keys prefix")
            if "steps." not in str(given.get("key", "")):
                found.append(f"job {name}: a cache key not computed by the job (its lock)")
            if ref.startswith(CACHE_WRITERS) and name != builder:
                found.append(f"job {name}: writes a cache; only the site build may")
    return found


@pytest.mark.parametrize("path", [CI, NIGHTLY], ids=lambda p: p.name)
def test_no_token_within_reach_of_installed_code(path: Path) -> None:
    assert credential_problems(load(path)) == []


@pytest.mark.parametrize(
    ("path", "builder"), [(CI, None), (NIGHTLY, "site")], ids=["ci", "nightly"]
)
def test_only_the_site_build_writes_its_own_exactly_keyed_cache(
    path: Path, builder: str | None
) -> None:
    assert cache_problems(load(path), builder) == []


def test_the_nightly_site_cache_is_restored_and_saved_by_exact_keys() -> None:
    site = jobs(load(NIGHTLY))["site"]
    refs = uses(site)
    assert sum(r.startswith("actions/cache/restore@") for r in refs) >= 1
    assert sum(r.startswith("actions/cache/save@") for r in refs) == 1
    keying = next(s for s in site["steps"] if s.get("id") == "cache-key")
    assert "pip freeze" in keying["run"]  # the lock of what is installed


BAD_TOKEN_AND_CACHE = """\
jobs:
  push:
    permissions: {contents: write}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
        with: {persist-credentials: true}
      - run: python -m pip install .
      - run: git push
        env: {GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}"}
      - uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830
        with: {path: build, key: "site-cache-${{ github.run_id }}", restore-keys: site-cache-}
"""


def test_the_token_and_cache_rules_catch_each_violation() -> None:
    workflow = yaml.safe_load(BAD_TOKEN_AND_CACHE)
    found = credential_problems(workflow) + cache_problems(workflow, builder="site")
    expected = [
        "job push: holds a write token and runs installed code",
        "job push: a checkout keeps its credentials where pip installs",
        "job push: a step gets the token after pip install",
        "job push: a cache restored by a restore-keys prefix",
        "job push: a cache key not computed by the job",
        "job push: writes a cache; only the site build may",
    ]
    for message in expected:
        assert any(p.startswith(message) for p in found), (message, found)


def test_every_pin_is_a_verified_release() -> None:
    for path in (CI, NIGHTLY):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES_LINE.match(line)
            if not match:
                continue
            action, _, sha = match["ref"].partition("@")
            repo = "/".join(action.split("/")[:2])  # actions/cache/save is actions/cache
            assert repo in VERIFIED_PINS, f"{path.name}: {repo} has no verified pin"
            pinned, tag = VERIFIED_PINS[repo]
            assert (sha, match["comment"]) == (pinned, f"# {tag}"), (path.name, line)
