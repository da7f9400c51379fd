"""A case's definition hash covers the code it runs, not the modules it happens to sit in:
moving a function or renaming a module keeps it, changing what a reached function does
or a constant it reads changes it. Tried on a package made here, then on the suite."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bench.definition import definition_of, entry_points, fingerprint
from bench.families.catalogue import PROFILES

#: A little package: an entry that calls a helper of another module, reads a constant,
#: imports a second helper lazily, and starts a program by module name.
PACKAGE = {
    "walk/__init__.py": "",
    "walk/entry.py": '''
        """The entry module."""
        from walk.helpers import double

        LIMIT = 3


        def run(n: int, index: int = 0) -> int:
            """Run it."""
            from walk.more import square  # lazily, as spawned children do

            command = ["python", "-m", "walk.child"]
            return double(n) + square(LIMIT) + len(command)
    ''',
    "walk/helpers.py": """
        def double(n: int) -> int:
            return n * 2  # twice
    """,
    "walk/more.py": """
        def square(n):
            return n * n
    """,
    "walk/child.py": """
        def main():
            return 1


        if __name__ == "__main__":
            main()
    """,
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def hash_of(root: Path, files: dict[str, str]) -> str:
    return fingerprint(["walk.entry:run"], package="walk", root=write(root, files))


@pytest.fixture
def base(tmp_path: Path) -> str:
    return hash_of(tmp_path / "base", PACKAGE)


def test_what_is_reached_is_every_function_and_constant_the_entry_names(base: str) -> None:
    names = [line.split(" ", 1)[0] for line in base.splitlines()]
    assert names == ["LIMIT", "__main__", "double", "main", "run", "square"]


def test_moving_a_function_to_another_module_keeps_the_hash(tmp_path: Path, base: str) -> None:
    moved = dict(PACKAGE)
    moved["walk/helpers.py"] = ""
    moved["walk/more.py"] = PACKAGE["walk/more.py"] + PACKAGE["walk/helpers.py"].replace(
        "\n        def", "\n\n\n        def"
    )
    moved["walk/entry.py"] = PACKAGE["walk/entry.py"].replace("walk.helpers", "walk.more")
    assert hash_of(tmp_path / "moved", moved) == base


def test_renaming_a_module_keeps_the_hash(tmp_path: Path, base: str) -> None:
    renamed = {k: v for k, v in PACKAGE.items() if k != "walk/child.py"}
    renamed["walk/program.py"] = PACKAGE["walk/child.py"]
    renamed["walk/entry.py"] = PACKAGE["walk/entry.py"].replace("walk.child", "walk.program")
    assert hash_of(tmp_path / "renamed", renamed) == base


def test_words_change_nothing(tmp_path: Path, base: str) -> None:
    worded = dict(PACKAGE)
    worded["walk/helpers.py"] = '''
        def double(n: float) -> float:
            """Twice ``n``: a docstring, a comment and a type say nothing of what runs."""
            # doubled
            return n * 2
    '''
    assert hash_of(tmp_path / "worded", worded) == base


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("walk/helpers.py", "n * 2", "n * 3"),  # a function the entry calls
        ("walk/more.py", "n * n", "n ** 3"),  # one it imports lazily
        ("walk/entry.py", "LIMIT = 3", "LIMIT = 4"),  # a constant it reads
        ("walk/child.py", "return 1", "return 2"),  # the program it starts by name
    ],
)
def test_changing_what_a_reached_function_does_changes_the_hash(
    tmp_path: Path, base: str, path: str, old: str, new: str
) -> None:
    changed = dict(PACKAGE)
    changed[path] = PACKAGE[path].replace(old, new)
    assert changed[path] != PACKAGE[path]
    assert hash_of(tmp_path / "changed", changed) != base


def test_code_the_entry_does_not_reach_changes_nothing(tmp_path: Path, base: str) -> None:
    more = dict(PACKAGE)
    more["walk/helpers.py"] += "\n\ndef triple(n):\n    return n * 3\n"
    assert hash_of(tmp_path / "more", more) == base


def test_every_case_of_the_suite_has_its_own_hash() -> None:
    cases = PROFILES["quick"].cases()
    hashes = {definition_of(case) for case in cases}
    assert len(hashes) == len(cases)
    assert all(len(h) == 16 and int(h, 16) >= 0 for h in hashes)


def test_a_measure_is_walked_from_its_entry_points_into_its_child_programs() -> None:
    fault = next(c for c in PROFILES["smoke"].cases() if c.measure == "fault")
    assert entry_points(fault) == ["bench.families.fault.measure:measure"]
    names = {line.split(" ", 1)[0] for line in fingerprint(entry_points(fault)).splitlines()}
    # the child the measure starts with -m, and what the child calls
    assert {"child_main", "reporting_task", "crash_task", "measure"} <= names
    # a model's code is the model the case names, not part of the measure
    assert not {"open_executor", "ProcessPool", "MODELS"} & names
