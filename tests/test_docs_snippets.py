"""Every Python block shown on the site runs as shown, imports included.

Each fenced ``python`` block of ``docs/**/*.md`` is taken as the reader sees it:
``--8<--`` lines are expanded the way pymdownx.snippets expands them (a whole file
or a ``[start:NAME]``/``[end:NAME]`` section), the block is checked by pyflakes'
rules (an undefined name means a missing import), then run as a script in a fresh
interpreter from an empty folder. It must exit 0 with no traceback on stderr (a
worker process's traceback counts too).

A block that is not meant to run as-is says so on the line above it, in one of two
forms; both carry a space after the colon, so the site's marker expander
(``bench.site.markers``) leaves them alone and they render as nothing:

- ``<!-- snippet: raises NAME -->``: it must print a traceback ending in ``NAME``
  (in the main process or in a worker);
- ``<!-- snippet: no-run (REASON) -->``: it is only checked, not run. Kept rare.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from helpers_waiting import SOON_S

from bench.site.markers import MARKER

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
#: A hang guard, far above what any snippet takes on a loaded machine.
RUN_TIMEOUT_S = SOON_S
#: Blocks that are only checked, never run: a handful at most, each with its reason.
MAX_NO_RUN = 2

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*snippet:\s*(?P<body>.*?)\s*-->\s*$")
NO_RUN = re.compile(r"^no-run \((?P<reason>[^)]+)\)$")
RAISES = re.compile(r"^raises (?P<name>[A-Za-z_][\w.]*)$")
INCLUDE = re.compile(r"^(?P<indent>\s*)--8<--\s+\"(?P<target>[^\"]+)\"\s*$")
SECTION = re.compile(r"--8<--\s+\[(?P<edge>start|end):(?P<name>[\w-]+)\]")


@dataclass(frozen=True)
class Snippet:
    """One ``python`` block of one page, its includes expanded."""

    page: str
    line: int
    code: str
    #: ``None`` (must run cleanly), ``"raises NAME"`` or ``"no-run (REASON)"``
    directive: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def section(path: Path, name: str | None) -> str:
    """The text pymdownx.snippets puts in for ``path`` or ``path:name``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if name is not None:
        starts = [i for i, text in enumerate(lines) if f"[start:{name}]" in text]
        ends = [i for i, text in enumerate(lines) if f"[end:{name}]" in text]
        if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
            raise ValueError(f"{path}: no single section {name!r}")
        lines = lines[starts[0] + 1 : ends[0]]
    return "\n".join(text for text in lines if not SECTION.search(text))


class _AnyTagLoader(yaml.SafeLoader):
    """Reads mkdocs.yml whatever ``!tag`` it may come to use."""


_AnyTagLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def include_bases() -> list[Path]:
    """The folders pymdownx.snippets looks in, from mkdocs.yml, in order."""
    config = yaml.load(MKDOCS_YML.read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    for extension in config.get("markdown_extensions", []):
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            bases = (extension["pymdownx.snippets"] or {}).get("base_path", ["."])
            return [ROOT / base for base in ([bases] if isinstance(bases, str) else bases)]
    return [ROOT]


def included_file(name: str, bases: list[Path]) -> Path:
    for base in bases:
        if (base / name).is_file():
            return base / name
    raise FileNotFoundError(f"--8<-- {name!r}: in none of {[str(b) for b in bases]}")


def expand_includes(code: str, bases: list[Path]) -> str:
    """``code`` with every ``--8<-- "file[:section]"`` line replaced, indented alike."""
    out: list[str] = []
    for text in code.splitlines():
        match = INCLUDE.match(text)
        if match is None:
            out.append(text)
            continue
        target = match.group("target")
        file_name, _, name = target.partition(":")
        if name and not re.fullmatch(r"[\w-]+", name):
            raise ValueError(f"unsupported include {target!r}: only files and named sections")
        body = section(included_file(file_name, bases), name or None)
        out.extend(match.group("indent") + part if part else part for part in body.splitlines())
    return "\n".join(out) + "\n"


def snippets_of(text: str, page: str, bases: list[Path]) -> list[Snippet]:
    """Every ``python`` block of a page's Markdown, with the directive above it."""
    lines = text.splitlines()
    found: list[Snippet] = []
    i = 0
    while i < len(lines):
        opening = FENCE_OPEN.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if opening.group("lang") in ("python", "py"):
            body = [
                text[len(indent) :] if text.startswith(indent) else text.lstrip()
                for text in lines[i + 1 : end]
            ]
            found.append(
                Snippet(
                    page, i + 1, expand_includes("\n".join(body), bases), directive_above(lines, i)
                )
            )
        i = end + 1
    return found


def directive_above(lines: list[str], index: int) -> str | None:
    """The ``snippet:`` directive on the last non-blank line before ``index``, if any."""
    for text in reversed(lines[:index]):
        if text.strip():
            match = DIRECTIVE.match(text)
            return match.group("body") if match else None
    return None


def directives_of(text: str) -> list[tuple[int, str, bool]]:
    """Every directive of a page: (line, body, whether a ``python`` block follows it)."""
    lines = text.splitlines()
    out = []
    for i, text_line in enumerate(lines):
        match = DIRECTIVE.match(text_line)
        if match is None:
            continue
        following = next((t for t in lines[i + 1 :] if t.strip()), "")
        opening = FENCE_OPEN.match(following)
        out.append(
            (i + 1, match.group("body"), bool(opening and opening.group("lang") == "python"))
        )
    return out


def site_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def site_snippets() -> list[Snippet]:
    bases = include_bases()
    return [
        snippet
        for path in site_pages()
        for snippet in snippets_of(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), bases
        )
    ]


def lint_problem(code: str) -> str | None:
    """Pyflakes' findings (undefined names, unused imports), or None when clean."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "F",
            "--output-format",
            "concise",
            "--stdin-filename",
            "snippet.py",
            "-",
        ],
        check=False,
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=RUN_TIMEOUT_S,
    )
    return None if done.returncode == 0 else (done.stdout + done.stderr).strip()


def run_problem(code: str, directive: str | None, folder: Path) -> str | None:
    """Run ``code`` as a script in ``folder``; what went wrong, or None."""
    script = folder / "snippet.py"
    script.write_text(code, encoding="utf-8")
    # the reader's interpreter knows nothing of this project
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    try:
        done = subprocess.run(
            [sys.executable, script.name],
            check=False,
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return f"still running after {RUN_TIMEOUT_S:g} s"
    report = f"exit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    raises = RAISES.match(directive or "")
    if raises is None:
        if done.returncode != 0 or "Traceback" in done.stderr:
            return f"failed: {report}"
        return None
    name = raises.group("name")
    ended_with = re.compile(rf"^(?:[\w.]+\.)?{re.escape(name)}(?::|$)", re.MULTILINE)
    if "Traceback" in done.stderr and ended_with.search(done.stderr):
        return None
    return f"expected a traceback ending in {name}: {report}"


def problem_of(snippet: Snippet, folder: Path) -> str | None:
    if snippet.directive is not None and not (
        NO_RUN.match(snippet.directive) or RAISES.match(snippet.directive)
    ):
        return f"unknown directive {snippet.directive!r}"
    if (lint := lint_problem(snippet.code)) is not None:
        return f"does not run as shown (missing import?):\n{lint}"
    if snippet.directive is not None and NO_RUN.match(snippet.directive):
        return None
    return run_problem(snippet.code, snippet.directive, folder)


# --- the site's blocks --------------------------------------------------------------------

SNIPPETS = site_snippets()


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_runs_as_shown(snippet: Snippet, tmp_path: Path) -> None:
    problem = problem_of(snippet, tmp_path)
    assert problem is None, f"{snippet.id}: {problem}\n--- code\n{snippet.code}"


def test_the_guide_has_snippets_and_their_includes_expand() -> None:
    pages = {s.page for s in SNIPPETS}
    assert {"docs/guide/threading.md", "docs/guide/multiprocessing.md"} <= pages
    assert not any("--8<--" in s.code for s in SNIPPETS)
    # the article's example comes from the source, not from a copy in the page
    assert any("def run_processes" in s.code for s in SNIPPETS)


@pytest.mark.parametrize("page", site_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_directives_are_well_formed_and_placed(page: Path) -> None:
    for line, body, before_python in directives_of(page.read_text(encoding="utf-8")):
        where = f"{page.relative_to(ROOT)}:{line}"
        assert NO_RUN.match(body) or RAISES.match(body), f"{where}: bad directive {body!r}"
        assert before_python, f"{where}: a snippet directive must sit right above a python block"


def test_directives_are_not_site_markers() -> None:
    """The marker expander would reject them, and break the build."""
    for page in site_pages():
        text = page.read_text(encoding="utf-8")
        for line, body, _ in directives_of(text):
            assert not MARKER.match(f"<!-- snippet: {body} -->"), f"{page}:{line}"


def test_blocks_that_do_not_run_are_rare() -> None:
    skipped = [s.id for s in SNIPPETS if s.directive and NO_RUN.match(s.directive)]
    assert len(skipped) <= MAX_NO_RUN, f"too many no-run blocks: {skipped}"


# --- the checker itself can fail ----------------------------------------------------------


def test_includes_expand_like_pymdownx_in_a_tab(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        "import os\n# --8<-- [start:part]\ndef f() -> str:\n    return os.sep\n"
        "    # --8<-- [end:part]\n",
        encoding="utf-8",
    )
    page = (
        'Intro\n\n=== "tab"\n\n    <!-- snippet: raises KeyError -->\n'
        '    ```python\n    import os\n\n    --8<-- "mod.py:part"\n    ```\n'
    )
    (snippet,) = snippets_of(page, "page.md", [tmp_path / "missing", tmp_path])
    assert snippet.code == "import os\n\ndef f() -> str:\n    return os.sep\n"
    assert snippet.directive == "raises KeyError"
    assert snippet.line == 6


def test_a_failing_block_is_caught(tmp_path: Path) -> None:
    assert run_problem("print('fine')\n", None, tmp_path) is None
    assert run_problem("raise ValueError('no')\n", None, tmp_path) is not None
    assert run_problem("raise ValueError('no')\n", "raises ValueError", tmp_path) is None
    assert run_problem("raise ValueError('no')\n", "raises KeyError", tmp_path) is not None
    assert run_problem("print('fine')\n", "raises ValueError", tmp_path) is not None


def test_a_failing_worker_is_caught(tmp_path: Path) -> None:
    code = (
        "import multiprocessing\n\n\ndef boom() -> None:\n    raise OSError('in the child')\n\n\n"
        "if __name__ == '__main__':\n"
        "    p = multiprocessing.get_context('spawn').Process(target=boom)\n"
        "    p.start()\n    p.join()\n"
    )
    assert run_problem(code, None, tmp_path) is not None
    assert run_problem(code, "raises OSError", tmp_path) is None


def test_a_missing_import_is_caught() -> None:
    assert lint_problem("import threading\n\nthreading.Thread(target=print).start()\n") is None
    assert lint_problem("threading.Thread(target=print).start()\n") is not None
    # even inside a function that the block never calls
    assert lint_problem("def f() -> None:\n    multiprocessing.Process()\n") is not None
