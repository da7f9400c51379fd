"""How an interpreter was built, in the words a results file keeps: whether PGO and LTO
were used, from its configure arguments and compiler flags.

The suite records it from ``sysconfig`` in every benchmark (``python_pgo``, ``python_lto``);
the reader derives it the same way from pyperf's ``python_config_args`` for files written
before it did. Standard library only: the case script imports it inside the measured
interpreter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: How a build used an optimisation: named in its configure arguments or compiler flags;
#: "unknown" for a distribution's package, whose build may pass it outside configure (Debian
#: builds with PGO and LTO through its own rules, which sysconfig does not record).
BUILD_YES, BUILD_NO, BUILD_UNKNOWN = "yes", "no", "unknown"


def build_optimisations(config: Mapping[str, Any]) -> dict[str, str]:
    """``{"python_pgo": ..., "python_lto": ...}`` from a build's ``sysconfig`` variables.

    PGO: ``--enable-optimizations`` among the configure arguments, or ``-fprofile-use`` in
    the flags the build compiled with; LTO: ``--with-lto`` or ``-flto``. Without either, a
    build installed under ``/usr`` (a distribution's) is "unknown", any other one "no".
    """
    args = str(config.get("CONFIG_ARGS") or "")
    flags = " ".join(str(config.get(k) or "") for k in (
        "PY_CFLAGS", "PY_CFLAGS_NODIST", "PY_LDFLAGS", "PY_LDFLAGS_NODIST", "LDFLAGS_NODIST"
    ))  # fmt: skip
    packaged = "'--prefix=/usr'" in args  # as configured, not where it runs from now

    def state(option: str, flag: str) -> str:
        if option in args or any(f.startswith(flag) for f in flags.split()):  # -flto=auto
            return BUILD_YES
        return BUILD_UNKNOWN if packaged else BUILD_NO

    return {"python_pgo": state("--enable-optimizations", "-fprofile-use"),
            "python_lto": state("--with-lto", "-flto")}  # fmt: skip


def recorded_or_derived(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``python_pgo`` and ``python_lto`` as a results file recorded them; where it did not
    (files written before the suite recorded them), derived from pyperf's configure
    arguments and C flags of the same file, as the suite would have; none where neither."""
    recorded = {key: metadata.get(key) for key in ("python_pgo", "python_lto")}
    args = metadata.get("python_config_args")
    if all(recorded.values()) or not isinstance(args, str):
        return recorded
    derived = build_optimisations(
        {"CONFIG_ARGS": args, "PY_CFLAGS": metadata.get("python_cflags") or ""}
    )
    return {key: recorded[key] or derived[key] for key in recorded}
