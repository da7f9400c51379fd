"""The article family folder (see bench/families/__init__.py for what a folder holds)."""
