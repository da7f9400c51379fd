"""What breaks where: the programs, reading their output, real attempts and the table."""

from __future__ import annotations

import multiprocessing
import textwrap

import pandas as pd
import pytest

from bench.cases import Case
from bench.families.catalogue import FAMILIES
from bench.families.pitfalls import measure as pitfalls
from bench.families.pitfalls.apis import PROCESS_APIS
from bench.families.pitfalls.family import PITFALL_VARIANTS
from bench.families.pitfalls.tables import pitfalls_table
from bench.report.tables import NO_DATA
from tests.conftest import Children

HAS_SPAWN = "spawn" in multiprocessing.get_all_start_methods()
HAS_FORK = "fork" in multiprocessing.get_all_start_methods()
needs_fork = pytest.mark.skipif(not HAS_FORK, reason="no fork start method here")


def case(variant: str, model: str = "process_pool", method: str = "fork", wait: int = 5) -> Case:
    return Case(
        family="pitfalls",
        workload="pitfall",
        size_label=f"wait {wait}s",
        size=wait,
        tasks=1,
        model=model,
        workers=1,
        start_method=method,
        measure="pitfalls",
        variant=variant,
        once=True,
    )


def frame_of(results: dict[tuple[str, str, str], str]) -> pd.DataFrame:
    """The tidy rows the loader would make of outcome records: (variant, api, method) -> text."""
    return pd.DataFrame(
        [
            {
                "machine": "m",
                "run_id": "r",
                "interpreter": "cpython-3.11",
                "measure": "pitfalls",
                "family": "pitfalls",
                "variant": variant,
                "model": api,
                "start_method": method,
                "metric": "outcome",
                "unit": "text",
                "value": text,
            }
            for (variant, api, method), text in results.items()
        ]
    )


# --- the matrix and the module agree --------------------------------------------------------


def test_the_matrix_tries_every_pitfall_with_every_api_it_applies_to() -> None:
    extra = {"generator_result", "fork_after_subinterpreters"}  # families of their own
    assert set(PITFALL_VARIANTS) | extra == set(pitfalls.PITFALLS)
    assert set(PROCESS_APIS) == {"processes", "process_pool", "mp.Pool"}
    for family in ("pitfalls", "pitfalls_result", "pitfalls_subinterpreters"):
        for variant in FAMILIES[family].variants:
            applies = {n for n, api in PROCESS_APIS.items()
                       if pitfalls.applies(pitfalls.PITFALLS[variant], api)}  # fmt: skip
            assert set(FAMILIES[family].models) == applies


@pytest.mark.parametrize("name", sorted(pitfalls.PITFALLS))
def test_every_program_compiles_and_states_its_mistake(name: str) -> None:
    pitfall = pitfalls.PITFALLS[name]
    for api in PROCESS_APIS.values():
        if not pitfalls.applies(pitfall, api):
            continue
        source = pitfalls.program(pitfall, api, "spawn", 5.0)
        compile(source, pitfalls.SCRIPT_NAME, "exec")
        assert "METHOD, WAIT_S = 'spawn', 5.0" in source
        assert api.attempt in source
        # At the prompt, main() is typed, not in the file.
        called = pitfall.guarded and not pitfall.interactive
        assert ('if __name__ == "__main__":\n    main()' in source) == called
        if pitfall.interactive:
            assert "main()" in pitfalls.typed(pitfall, pitfalls.Path("p.py"))


# --- reading what a program printed -----------------------------------------------------------

SPAWN_ERROR = textwrap.dedent(
    """\
    Traceback (most recent call last):
      File "<string>", line 1, in <module>
      File "/usr/lib/python3.11/multiprocessing/spawn.py", line 120, in spawn_main
    RuntimeError:
            An attempt has been made to start a new process before the
            current process has finished its bootstrapping phase.

            This probably means that you are not using fork to start your
    """
)


def test_last_error_takes_the_first_paragraph_of_a_message_on_the_next_lines() -> None:
    assert pitfalls.last_error(SPAWN_ERROR) == (
        "RuntimeError: An attempt has been made to start a new process before the current "
        "process has finished its bootstrapping phase."
    )
    assert pitfalls.last_error("no traceback here\n") is None
    chained = "Traceback (most recent call last):\n  x\n_pickle.PicklingError: first\n" * 2
    assert pitfalls.last_error(chained) == "PicklingError: first"


def test_outcomes_are_one_constant_line() -> None:
    out = "PITFALL\traised\tPicklingError: Can't pickle <function <lambda> at 0x7f3a2b>\n"
    assert pitfalls.describe_outcome(out, "", 0, 5.0) == (
        "PicklingError: Can't pickle <function <lambda> at 0x...>"
    )
    assert pitfalls.describe_outcome("PITFALL\tworks\t\n", "", 0, 5.0) == "works"
    exited = pitfalls.describe_outcome("PITFALL\texit\t1\n", SPAWN_ERROR, 0, 5.0)
    assert exited.startswith("the process exited with code 1; printed RuntimeError: An attempt")
    hung = pitfalls.describe_outcome("PITFALL\thangs\t\n", "", 0, 5.0)
    assert hung == "no result in 5 s (hangs)"
    assert "was killed" in pitfalls.describe_outcome("", "", None, 5.0)
    assert pitfalls.describe_outcome("", SPAWN_ERROR, 1, 5.0).startswith(
        "the program failed (exit code 1); printed RuntimeError"
    )


def test_the_fork_warning_is_kept_and_the_resource_tracker_noise_is_not() -> None:
    stderr = (
        "/usr/lib/python3.13/multiprocessing/popen_fork.py:67: DeprecationWarning: This "
        "process (pid=4242) is multi-threaded, use of fork() may lead to deadlocks in the "
        "child.\n  self.pid = os.fork()\n"
        "/usr/lib/python3.13/multiprocessing/resource_tracker.py:254: UserWarning: "
        "resource_tracker: There appear to be 5 leaked semaphore objects\n"
    )
    text = pitfalls.describe_outcome("PITFALL\tworks\t\n", stderr, 0, 5.0)
    assert text == (
        "works; warned DeprecationWarning: This process (pid=N) is multi-threaded, use of "
        "fork() may lead to deadlocks in the child."
    )
    assert pitfalls.works(text)
    assert not pitfalls.works("TypeError: cannot pickle '_thread.lock' object")


def test_scratch_folders_and_overlong_texts_are_cut() -> None:
    folder = "/tmp/bench-files-pitfall-ab12cd/"
    assert pitfalls.normalise(f"No such file: '{folder}<stdin>'") == "No such file: '<stdin>'"
    assert len(pitfalls.normalise("x" * 5000)) == pitfalls.MAX_TEXT


# --- real attempts, in child interpreters ---------------------------------------------------


@needs_fork
def test_a_lambda_breaks_a_pool_but_not_a_forked_process(children: Children) -> None:
    pool = pitfalls.measure(case("lambda", "process_pool"))
    assert pool[0].metric == "outcome" and pool[0].unit == "text"
    assert pool[0].values[0].startswith("PicklingError: Can't pickle <function <lambda>")
    assert pool[1].values == [False]
    process = pitfalls.measure(case("lambda", "processes"), repeat=2)
    assert process[0].values == ["works", "works"]
    assert process[1].values == [True, True]
    assert children.left() == set()


@pytest.mark.skipif(not HAS_SPAWN, reason="no spawn start method here")
def test_an_unguarded_script_fails_in_the_spawned_child(children: Children) -> None:
    [outcome, works] = pitfalls.measure(case("no_guard", "processes", "spawn"))
    assert outcome.values[0].startswith("the process exited with code 1")
    assert "RuntimeError: An attempt has been made to start a new process" in outcome.values[0]
    assert works.values == [False]
    assert children.left() == set()


@pytest.mark.skipif(not (HAS_SPAWN and HAS_FORK), reason="needs fork and spawn")
@pytest.mark.skipif(pitfalls.prompt.unavailable() is not None, reason="no pseudo-terminal here")
def test_a_function_typed_at_the_real_prompt_reaches_a_forked_pool_only(
    children: Children,
) -> None:
    # The REPL on a pseudo-terminal: its __main__ is built in, so a spawned child cannot
    # find the function, while a forked one inherits it. (A program piped to "python -"
    # is no REPL: its __main__ comes from "<stdin>".)
    [forked, _] = pitfalls.measure(case("repl", "process_pool", "fork"))
    assert forked.values == ["works"]
    [spawned, works] = pitfalls.measure(case("repl", "process_pool", "spawn"))
    assert spawned.values[0].startswith("BrokenProcessPool")
    assert "Can't get attribute 'work' on <module '__main__' (built-in)>" in spawned.values[0]
    assert works.values == [False]
    assert children.left() == set()


def test_the_prompt_is_typed_one_statement_a_line_with_an_empty_line_after_a_def() -> None:
    lines = pitfalls.typed(pitfalls.PITFALLS["repl"], pitfalls.Path("/x/pitfall.py"))
    assert lines[0] == "exec(open('/x/pitfall.py', encoding='utf-8').read())"
    assert lines[1:] == [
        "def work(x): return x * 2",
        "",
        "TASK, ARGS, EXPECTED = work, (21,), 42",
        "main()",
    ]
    assert pitfalls.at_prompt(">>> >>> Traceback\n... x") == "Traceback\nx"


@needs_fork
def test_a_result_that_cannot_be_pickled_reaches_the_caller(children: Children) -> None:
    [outcome, _] = pitfalls.measure(case("generator_result", "mp.Pool"))
    assert outcome.values[0].startswith("MaybeEncodingError: Error sending result")
    assert "0x..." in outcome.values[0]  # the address is made constant
    assert children.left() == set()


def test_bad_cases_are_refused() -> None:
    with pytest.raises(ValueError, match="no variant"):
        pitfalls.measure(case("nope"))
    with pytest.raises(ValueError, match="does not apply"):
        pitfalls.measure(case("generator_result", "processes"))
    with pytest.raises(ValueError, match="positive"):
        pitfalls.measure(case("lambda", wait=0))


def test_a_platform_without_the_start_method_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    text = pitfalls.run_attempt(pitfalls.PITFALLS["lambda"], PROCESS_APIS["processes"], "fork", 5.0)
    assert text == "n/a: no fork start method on this platform"


# --- the table --------------------------------------------------------------------------------


def test_the_table_has_a_row_per_mistake_and_api_and_a_column_per_start_method() -> None:
    frame = frame_of(
        {
            ("no_guard", "processes", "spawn"): "the process exited with code 1",
            ("lambda", "mp.Pool", "fork"): "PicklingError: Can't pickle <lambda>",
            ("lambda", "processes", "fork"): "works",
            ("lambda", "processes", "spawn"): "PicklingError: Can't pickle <lambda>",
        }
    )
    lines = pitfalls_table(frame).splitlines()
    assert lines[0] == "| mistake | API | fork | spawn |"
    # in the module's order: the lambda first, Process before multiprocessing.Pool
    assert lines[2].startswith("| a lambda as the target or task | multiprocessing.Process | works")
    assert "&lt;lambda&gt;" in lines[2]  # escaped: exception texts are data, never HTML
    assert lines[3].startswith("| a lambda as the target or task | multiprocessing.Pool |")
    assert lines[3].endswith("| \u2013 |")  # not measured under spawn
    assert "guard | multiprocessing.Process | \u2013 | the process exited" in lines[4]
    assert pitfalls_table(frame.iloc[0:0]) == NO_DATA


def test_values_that_differ_are_counted() -> None:
    frame = pd.concat(
        [
            frame_of({("lambda", "processes", "fork"): "works"}),
            frame_of({("lambda", "processes", "fork"): "works"}),
            frame_of({("lambda", "processes", "fork"): "no result in 5 s (hangs)"}),
        ]
    )
    assert "works \u00d72; no result in 5 s (hangs) \u00d71" in pitfalls_table(frame)


@needs_fork
def test_flipping_one_case_changes_the_generated_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The table is what the attempts gave: give the lambda a name, and its row changes."""

    def table() -> str:
        [outcome, _] = pitfalls.measure(case("lambda", "process_pool"))
        return pitfalls_table(frame_of({("lambda", "process_pool", "fork"): outcome.values[0]}))

    before = table()
    assert "PicklingError" in before
    named = pitfalls.Pitfall(
        "lambda",
        pitfalls.PITFALLS["lambda"].label,
        "def double(x):\n    return x * 2\n\nTASK, ARGS, EXPECTED = double, (21,), 42\n",
    )
    monkeypatch.setitem(pitfalls.PITFALLS, "lambda", named)
    after = table()
    assert after != before
    assert "| a lambda as the target or task | ProcessPoolExecutor | works |" in after
