"""Figures: the machinery every family's charts share.

``registry`` (a figure registers its ``make`` function: ``figure``, ``figure_per_group``;
``drawing`` and ``render_all`` draw them all), ``style`` (the look and the SVG writer),
``cache`` (the cache of drawn SVGs, keyed by the rows drawn) and ``scaling`` (the chart
of speedup against workers that the CPU and I/O families share). The figures themselves
are in their family's folder, ``bench/families/<name>/figures.py``: each ``make(frame)``
returns the Figure and its alt text (None without data). Figures never touch pyplot's
global state; the SVG bytes are the same for the same data.
"""
