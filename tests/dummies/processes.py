"""A dummy model that runs ``bench.models.processes``, every task marked."""

from dummies import wrapping

open_executor, hold_workers = wrapping("bench.models.processes")
