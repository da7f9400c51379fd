"""Threads or processes? A pyperf suite that measures every claim of the classic guide.

Kept import-free on purpose: spawn and forkserver children re-import the package
before they unpickle a task, and that cost would land in the start-up figures.
"""

__version__ = "0.1.0"
