"""Lock cost: one counter incremented with no lock and under a ``threading.Lock``, by one
thread (the lock uncontended) and by several (contended)."""
