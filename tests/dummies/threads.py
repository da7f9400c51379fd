"""A dummy model that runs ``bench.models.threads``, every task marked."""

from dummies import wrapping

open_executor, hold_workers = wrapping("bench.models.threads")
