"""The catalogue: every family folder, found by convention, and what they make together.

Each subpackage of ``bench.families`` is a folder (see ``bench/families/__init__.py`` for
what it holds). From their ``family.py`` modules this builds the matrix: the families,
the workloads, the measures, the profiles and what is left out on purpose. Their claims,
figures and tables are imported only when asked for (they need pandas and matplotlib,
which the interpreter measured may lack). Adding a family is adding a folder: nothing
here names one.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import bench.families
from bench import capacity
from bench.cases import (
    MODEL,
    Case,
    Family,
    Pick,
    Profile,
    ResultsPage,
    SubjectKind,
    Trend,
)
from bench.families.profiles import PROFILES as PROFILE_SETTINGS
from bench.families.profiles import ProfileSettings
from bench.models import MODELS
from bench.workloads.catalog import GENERIC, Workload


@dataclass(frozen=True)
class Folder:
    """One family folder: its name and its ``family.py``."""

    name: str
    module: ModuleType

    @property
    def package(self) -> str:
        return f"bench.families.{self.name}"

    def declared(self, attribute: str, default: Any) -> Any:
        return getattr(self.module, attribute, default)

    @property
    def order(self) -> int:
        return int(self.module.ORDER)

    def part(self, kind: str) -> str | None:
        """The module of this folder's ``kind`` ("claims", "figures", "tables", "measure")
        if it has one."""
        name = f"{self.package}.{kind}"
        return name if importlib.util.find_spec(name) is not None else None


def _discover() -> tuple[Folder, ...]:
    found = []
    for info in pkgutil.iter_modules(bench.families.__path__):
        if info.ispkg:
            module = importlib.import_module(f"bench.families.{info.name}.family")
            found.append(Folder(info.name, module))
    return tuple(sorted(found, key=lambda folder: (folder.order, folder.name)))


#: Every folder, in the order it declares (``ORDER``): lists follow it, choices never do.
FOLDERS: tuple[Folder, ...] = _discover()

FAMILIES: dict[str, Family] = {
    family.id: family for folder in FOLDERS for family in folder.declared("FAMILIES", ())
}
WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        *GENERIC,
        capacity.WORKLOAD,
        *(w for f in FOLDERS for w in f.declared("WORKLOADS", ())),
    )
}
#: Measure -> the module that runs it: a folder's ``measure.py`` runs its families'.
MEASURES: dict[str, str] = {
    capacity.MEASURE: "bench.capacity",
    **{
        family.measure: f"{folder.package}.measure"
        for folder in FOLDERS
        for family in folder.declared("FAMILIES", ())
        if family.measure != "batch"
    },
}
#: Measure -> the kind of subject its cases name (their "model"): how a reader knows
#: which namespace a results file's "model" belongs to.
KINDS: dict[str, SubjectKind] = {
    "batch": MODEL,
    capacity.MEASURE: capacity.PROBE,
    **{family.measure: family.kind for family in FAMILIES.values()},
}
#: Pairs left out of the matrix on purpose, and why.
EXCLUDED: dict[tuple[str, str], str] = {
    pair: why for folder in FOLDERS for pair, why in folder.declared("EXCLUDED", {}).items()
}
#: The families (as a reader names them) whose speedups need cores at once.
NEEDS_CORES: frozenset[str] = frozenset(f.family for f in FAMILIES.values() if f.needs_cores)


def with_probes(cases: Iterable[Case], cores: int) -> list[Case]:
    """``cases`` and the capacity probes they need on ``cores`` cores
    (``bench.capacity.with_probes``)."""
    return capacity.with_probes(cases, NEEDS_CORES, cores)


def _profile(settings: ProfileSettings) -> Profile:
    if settings.everything:
        picks = tuple(Pick(family_id) for family_id in FAMILIES)
    else:
        picks = tuple(p for f in FOLDERS for p in f.declared("PICKS", {}).get(settings.name, ()))
    keys = tuple(k for f in FOLDERS for k in f.declared("KEY_FAMILIES", {}).get(settings.name, ()))
    return Profile(
        settings.name,
        settings.description,
        rounds=settings.rounds,
        values=settings.values,
        warmups=settings.warmups,
        timeout_s=settings.timeout_s,
        picks=picks,
        min_time=settings.min_time,
        key_families=keys,
        other_rounds=settings.other_rounds,
        families=FAMILIES,
        companions=with_probes,
        every_round=(capacity.FAMILY,),
    )


PROFILES: dict[str, Profile] = {s.name: _profile(s) for s in PROFILE_SETTINGS}


# --- what the runner asks -------------------------------------------------------------------


def measure_module(measure: str) -> ModuleType:
    return importlib.import_module(MEASURES[measure])


def subject_kind(measure: str) -> SubjectKind:
    """The namespace of the "model" of ``measure``'s cases."""
    return KINDS.get(measure, MODEL)


def subject_label(measure: str, name: str) -> str:
    """What a reader calls the subject ``name`` of a case of ``measure``; its own name
    when its registry does not know it (an older or foreign results file)."""
    try:
        return subject_kind(measure).subject(name).label
    except KeyError:
        return name


def unavailable_workloads() -> dict[str, str]:
    """Workloads this interpreter cannot run (a module of ``requires`` is missing), with
    the reason in words, as ``bench.models.unavailable_models`` says it of models."""
    missing: dict[str, str] = {}
    for name, workload in WORKLOADS.items():
        for required in workload.requires:
            try:
                importlib.import_module(required)
            except ImportError as exc:
                how = f" (pip install 'threads-or-processes[{workload.extra}]')"
                missing[name] = f"needs {exc.name or required}" + (how if workload.extra else "")
                break
            except Exception as exc:  # a broken optional package must not stop the run
                missing[name] = f"{type(exc).__name__}: {exc}"
                break
    return missing


def check(measures: Collection[str] | None = None) -> None:
    """Every family names a known workload, subjects of its kind and a measure that has a
    module; every pick a known profile; families of one name agree on needing cores.
    ``measures`` (default: every one found) narrows the measures taken as known."""
    known = set(MEASURES) if measures is None else set(measures)
    if capacity.MEASURE not in known:
        raise ValueError("the capacity probe: unknown measurement 'capacity'")
    profiles = {s.name for s in PROFILE_SETTINGS}
    for folder in FOLDERS:
        unknown = set(folder.declared("PICKS", {})) - profiles
        if unknown:
            raise ValueError(f"folder {folder.name!r}: picks for no profile {sorted(unknown)}")
    by_name: dict[str, bool] = {}
    for f in FAMILIES.values():
        if by_name.setdefault(f.family, f.needs_cores) != f.needs_cores:
            raise ValueError(f"the families named {f.family!r} disagree on needing cores")
        workload = WORKLOADS.get(f.workload)
        if workload is None:
            raise ValueError(f"family {f.id!r}: unknown workload {f.workload!r}")
        if f.measure != workload.measure:
            raise ValueError(f"family {f.id!r}: {f.workload!r} is measured by {workload.measure!r}")
        if f.measure != "batch" and f.measure not in known:
            raise ValueError(f"family {f.id!r}: unknown measurement {f.measure!r}")
        for name in f.models:
            try:
                f.kind.subject(name)
            except KeyError:
                raise ValueError(f"family {f.id!r}: unknown {f.kind.name} {name!r}") from None
            if f.kind is MODEL and MODELS[name].is_async and workload.async_func is None:
                raise ValueError(f"family {f.id!r}: asyncio needs a coroutine version")


# --- what the report and the site ask (imports pandas and matplotlib) ------------------------


def _import_parts(kind: str) -> None:
    for folder in FOLDERS:
        module = folder.part(kind)
        if module is not None:
            importlib.import_module(module)


@functools.cache
def claims() -> tuple[Any, ...]:
    """Every claim of every folder, in the guide's order (``bench.report.claims.Claim``)."""
    from bench.report.claims import registered

    _import_parts("claims")
    return registered()


@functools.cache
def figures() -> tuple[Any, ...]:
    """Every figure of every folder, registered (``bench.report.figures.registry``)."""
    from bench.report.figures.registry import registered

    _import_parts("figures")
    return registered()


@functools.cache
def tables() -> tuple[Any, ...]:
    """Every table of every folder, registered (``bench.report.tables.TableSpec``)."""
    from bench.report.tables import registered

    _import_parts("tables")
    return registered()


def pages() -> tuple[ResultsPage, ...]:
    """Every results page, its folders' parts merged (in folder order) under the part that
    leads it, in the pages' order."""
    parts: dict[str, list[ResultsPage]] = {}
    for folder in FOLDERS:
        page = folder.declared("PAGE", None)
        if page is not None:
            parts.setdefault(page.path, []).append(page)
    merged = []
    for path, found in parts.items():
        leads = [p for p in found if p.intro]
        if len(leads) != 1:
            raise ValueError(f"the results page {path!r} has {len(leads)} leading parts, not one")
        merged.append(
            ResultsPage(
                path,
                families=tuple(f for p in found for f in p.families),
                figures=tuple(f for p in found for f in p.figures),
                tables=tuple(t for p in found for t in p.tables),
                speedups=any(p.speedups for p in found),
                intro=leads[0].intro,
                order=leads[0].order,
            )
        )
    return tuple(sorted(merged, key=lambda p: (p.order, p.path)))


def outcome_metrics() -> dict[str, tuple[str, ...]]:
    """Measure -> the metrics of its outcomes in reading order, as its folder names them."""
    return {
        measure: metrics
        for folder in FOLDERS
        for measure, metrics in folder.declared("OUTCOME_METRICS", {}).items()
    }


def trends() -> tuple[Trend, ...]:
    """Every folder's trend charts, in their order."""
    found = [t for folder in FOLDERS for t in folder.declared("TRENDS", ())]
    return tuple(sorted(found, key=lambda t: (t.order, t.name)))
