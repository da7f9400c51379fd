"""A dummy model that runs ``bench.models.thread_pool``, every task marked."""

from dummies import wrapping

open_executor, hold_workers = wrapping("bench.models.thread_pool")
