"""A dummy pool that takes no start method: ``bench.models.process_pool`` under fork,
every task marked."""

from dummies import wrapping

open_executor, hold_workers = wrapping("bench.models.process_pool", "fork")
