"""From results files to evidence: load (tidy table), metrics, and later claims, figures, tables."""
