"""A dummy model that runs ``bench.models.process_pool``, every task marked."""

from dummies import wrapping

open_executor, hold_workers = wrapping("bench.models.process_pool")
