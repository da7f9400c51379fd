"""Every number in the hand-written pages renders as text: a line that starts with a
number and a full stop, inside a paragraph, is read by Markdown as an ordered list item,
and the number is lost ("its default stops at" / "32." on When to use, issue 23, item 12).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
NUMBERED = re.compile(r"^(\s*)(\d+)\.\s")
FENCE = re.compile(r"^\s*(```|~~~)")


def swallowed_numbers(text: str) -> list[str]:
    """Lines that start with "N. " right after a line of text, where N does not continue
    an ordered list at that indentation: a number that Markdown would turn into a list."""
    found: list[str] = []
    last_number: dict[int, int] = {}
    previous, fenced = "", False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        numbered = NUMBERED.match(line)
        if numbered and not fenced:
            indent, number = len(numbered[1]), int(numbered[2])
            continues = last_number.get(indent, 0) + 1 == number
            if previous.strip() and not continues and number != 1:
                found.append(line.strip())
            last_number[indent] = number
        previous = line
    return found


def test_the_check_finds_the_number_when_to_use_lost() -> None:
    lost = "- give it `max_workers`, since its default stops at\n  32. See the pool.\n"
    assert swallowed_numbers(lost) == ["32. See the pool."]
    listed = "1. first\n    - a sub-item\n      on two lines\n2. second\n\n3. third\n"
    assert swallowed_numbers(listed) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_no_page_turns_a_number_into_a_list_item(page: Path) -> None:
    assert swallowed_numbers(page.read_text(encoding="utf-8")) == []
