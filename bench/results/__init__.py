"""The results format: the one package that knows how results files look.

``schema`` (version, kinds, metadata keys and the rules their values obey),
``layout`` (folders, file names, run ids, paths kept inside their root),
``write`` (atomic writes) and ``read`` (checked reading into a tidy frame).
The runner writes through it; the report, the history and the site read through it.
"""
