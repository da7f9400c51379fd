"""The site: results folders in, Markdown pages and figures out (written by mkdocs-gen-files)."""
