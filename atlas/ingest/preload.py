"""Imported by the import fork server only (atlas.ingest.sandbox): loads what every child
needs before it forks. A web server process never imports this module."""

from atlas.ingest import worker

try:
    worker.placement()
except (OSError, ValueError):  # no built geo/ yet: each child will say so itself
    worker.placement.cache_clear()
