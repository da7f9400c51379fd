"""The results history: record runs append-only, load a year of them fast, find what
changed, draw the trends.

``record`` (record_run, check_history), ``cache`` (load_history, load_summaries, load_site_data),
``summary`` (run_summaries), ``regress`` (detect_changes), ``trends`` (trend_keys,
render_trends, changes_table).
"""
