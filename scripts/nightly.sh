#!/usr/bin/env bash
# The nightly workflow (.github/workflows/nightly.yml) on this machine: run the suite,
# validate the run, record it into a history folder (append-only: a new folder per run),
# build the site from the whole history. Running it twice gives a history of two runs.
#
# usage: scripts/nightly.sh [INTERPRETER ...]
#   INTERPRETER   an interpreter with its options, as for --python (default: the harness)
# environment:
#   PROFILE       profile to run (default: standard)
#   ONLY          regex of the cases to run, passed to --only (default: every case)
#   HISTORY       history folder (default: history/ at the repository root)
#   PYTHON        the harness interpreter (default: .venv/bin/python)
#   MKDOCS        mkdocs command (default: .venv/bin/mkdocs)
#   SITE_DIR      where the site is built (default: site/ at the repository root)
#   SKIP_SITE=1   stop after recording
set -euo pipefail

say() { printf 'nightly: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Relative paths given by the caller are relative to where the script was started.
absolute() {
    case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$PWD" "$1" ;;
    esac
}
history="$(absolute "${HISTORY:-$root/history}")"
site_dir="$(absolute "${SITE_DIR:-$root/site}")"
python="${PYTHON:-$root/.venv/bin/python}"
mkdocs="${MKDOCS:-$root/.venv/bin/mkdocs}"
profile="${PROFILE:-standard}"

[[ -x "$python" ]] || die "no harness interpreter at $python (make the venv, or set PYTHON)"
cd "$root"

runs="$(mktemp -d "${TMPDIR:-/tmp}/nightly-runs.XXXXXX")"

run_args=(-m bench run --profile "$profile" --results "$runs")
if [[ -n "${ONLY:-}" ]]; then
    run_args+=(--only "$ONLY")
fi
for interp in "$@"; do
    run_args+=(--python "$interp")
done

# The exit codes of python -m bench (bench/exit_codes.py, the README's table).
readonly EXIT_OK=0 EXIT_FAILURES=1 EXIT_USAGE=2 EXIT_NOT_WRITTEN=3 EXIT_INTERRUPTED=130

say "1/4 run: profile $profile${ONLY:+, cases matching $ONLY}, into $runs"
run_status=$EXIT_OK
"$python" "${run_args[@]}" || run_status=$?
# A run where some cases failed is recorded: every file it wrote is whole, the failures
# and their reasons are in its manifest (the history shows them), and the other cases'
# trends go on. A run that could not write its results (or was stopped, or never
# started) is not whole: it is never recorded.
case "$run_status" in
"$EXIT_OK" | "$EXIT_FAILURES") ;;
"$EXIT_NOT_WRITTEN") why="could not write its results (disk full? read-only folder?)" ;;
"$EXIT_USAGE") why="was refused its arguments" ;;
"$EXIT_INTERRUPTED") why="was interrupted" ;;
*) why="stopped" ;;
esac
if ((run_status != EXIT_OK && run_status != EXIT_FAILURES)); then
    # The run's own code is passed on, so a caller can tell these apart too.
    if rmdir "$runs" 2>/dev/null; then
        say "error: the run $why (exit $run_status) before writing anything; nothing recorded"
    else
        say "error: the run $why (exit $run_status); nothing recorded; what it wrote is in $runs"
    fi
    exit "$run_status"
fi

shopt -s nullglob
manifests=("$runs"/*/*/run.json)
shopt -u nullglob
((${#manifests[@]} == 1)) || die "expected one run folder under $runs, found ${#manifests[@]}"
run_dir="$(dirname "${manifests[0]}")"

say "2/4 validate: $run_dir"
"$python" -m bench validate "$run_dir" ||
    die "the run has bad files (named above); it stays in $run_dir, the history is untouched"

say "3/4 record into $history"
"$python" -m bench record "$run_dir" --history "$history" ||
    die "recording refused (see above); the run stays in $run_dir"
rm -rf "$runs"

if [[ "${SKIP_SITE:-0}" == 1 ]]; then
    say "4/4 site: skipped (SKIP_SITE=1)"
else
    say "4/4 site: from $history into $site_dir"
    BENCH_RESULTS="History=$history" "$mkdocs" build --strict --site-dir "$site_dir" ||
        die "the site build failed; the history keeps the new run"
fi

if ((run_status != 0)); then
    say "done, but some cases failed (see the summary above and run.json): exit $run_status"
    exit "$run_status"
fi
say "done: run recorded in $history"
