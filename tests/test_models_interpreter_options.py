"""Every model runs its workers as the interpreter was told to run (issue 23, item 8).

A free-threaded build started with ``-X gil=1`` must keep the GIL on in every worker of
every model: threads share the process, but loky, Dask's workers, spawn and forkserver
children and subinterpreters are started anew, and a worker started without the case's
options measures another interpreter (loky's ran 50 rows of the baseline with the GIL off).
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from helpers_interpreters import FREE_THREADED, prepared
from helpers_waiting import CHILD_RUN_S

ROOT = Path(__file__).resolve().parent.parent

READ_THE_WORKERS = textwrap.dedent(
    """
    import json
    from bench.models import MODELS, open_executor, unavailable_models
    from bench.workloads.probe import worker_facts

    def main():
        missing = unavailable_models()
        seen = {}
        for name, spec in MODELS.items():
            if name in missing:
                seen[name] = missing[name]
                continue
            for method in spec.start_methods or (None,):
                executor = open_executor(name, 2, method)
                try:
                    facts = executor.run(worker_facts, [(30, 0), (30, 1)])
                finally:
                    executor.close()
                label = f"{name}/{method}" if method else name
                seen[label] = sorted({f["gil_enabled"] for f in facts})
        print(json.dumps(seen))

    if __name__ == "__main__":
        main()
    """
)


@pytest.mark.parametrize(("option", "gil"), [("gil=1", True), ("gil=0", False)])
def test_every_models_workers_keep_the_gil_state_they_were_given(option: str, gil: bool) -> None:
    python = prepared(FREE_THREADED)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    done = subprocess.run(
        [str(python), "-X", option, "-c", READ_THE_WORKERS],
        capture_output=True, text=True, cwd=ROOT, timeout=CHILD_RUN_S, check=False,
        env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    unavailable = {label: why for label, why in seen.items() if isinstance(why, str)}
    assert not unavailable, unavailable  # the suite's venv has every extra
    assert seen == {label: [gil] for label in seen}
