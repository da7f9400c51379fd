"""Data as inert Markdown: the one escaping function every generated block uses.

Values in results files come from anyone (CPU names, hostnames, exception texts, labels):
on the site they must read as plain text, never as Markdown structure, HTML, or a line of
their own that an extension (snippets' ``--8<--``) would act on.
"""

from __future__ import annotations

import re

# Characters that would open inline Markdown anywhere in a cell, and braces: attr_list
# reads "{ onclick=... }" at the end of a table cell or heading as the element's
# attributes. Backslash first, so that one in the data cannot cancel the escapes after it.
_BACKSLASHED = str.maketrans(
    {"\\": "\\\\", "|": "\\|", "*": "\\*", "[": "\\[", "]": "\\]", "{": "\\{", "}": "\\}"}
)
# HTML, code spans and strikethrough: entities, which every renderer decodes as text.
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "`": "&#96;", "~": "&#126;"})
# An underscore opens or closes emphasis only where it is not inside a word.
_LONE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# Line breaks end a table row or start a line an extension would act on (snippets'
# ``--8<--``, tabs' ``===``); other control characters have no business in text.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Zero-width and bidirectional formatting characters (refused in results files; labels
# come from elsewhere too): removed, so no value can hide or reverse the text around it.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
# Signs that start a block (heading, list, tab, admonition, quote...) at the start of a
# line; the signs escaped anywhere are left to the escapes above.
_ESCAPED_ANYWHERE = set("&<>`~\\|*[]_{}")


def inert(text: str) -> str:
    """``text`` as inert Markdown: one line, no structure, no HTML; for a table cell, a
    title, alt text or a sentence. Every generated block passes data through it."""
    text = _INVISIBLE.sub("", _CONTROLS.sub(" ", text)).strip()
    head = text[:1]
    signed_number = head in ("-", "+") and text[1:2].isdigit()  # starts no block
    if head.isascii() and head and not head.isalnum() and head not in _ESCAPED_ANYWHERE:
        if signed_number:
            return _escaped(text)
        # An entity is text to every renderer, and never the start of a block.
        return f"&#{ord(head)};{_escaped(text[1:])}"
    return _escaped(text)


def _escaped(text: str) -> str:
    text = text.translate(_ENTITIES).translate(_BACKSLASHED)
    return _LONE_UNDERSCORE.sub(r"\\_", text)
