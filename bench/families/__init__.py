"""The families of the matrix, one folder each: ``bench/families/<name>/``.

A folder holds everything of its family, by convention (as asv finds benchmarks):

* ``family.py`` (required, small: the runner imports it in the interpreter measured):
  ``ORDER`` (where its cases and entries come in lists), ``FAMILIES`` (``bench.cases``'s
  ``Family``), ``WORKLOADS``, ``PICKS`` (profile name -> its picks; the ``full`` profile
  takes every family whole), and where it has them ``KEY_FAMILIES`` (profile -> the
  families of it that get every round), ``EXCLUDED`` (pairs left out on purpose, and
  why), ``PAGE`` (its part of a results page) and ``TRENDS`` (its charts over the nights);
* ``workload.py``: its task functions;
* ``measure.py``: the measure of its families whose ``measure`` is not ``"batch"``;
* ``claims.py``, ``figures.py``, ``tables.py``: its verdicts (``@claim``), charts
  (``@figure``) and tables (``@table``), registered when the catalogue imports them.

``bench.families.catalogue`` discovers the folders and builds the matrix from them.
"""
