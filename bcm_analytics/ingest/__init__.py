"""Ingest: read export files, land them raw with provenance, type them, quarantine rejects."""

from bcm_analytics.ingest.arrow_source import ArrowSource
from bcm_analytics.ingest.loader import FileResult, LoadOptions, check_replaces, discover, load_file, load_paths
from bcm_analytics.ingest.readers import FileRefused

__all__ = ["ArrowSource", "FileRefused", "FileResult", "LoadOptions", "check_replaces", "discover", "load_file", "load_paths"]
