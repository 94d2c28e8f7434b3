"""Mapping profiles: how a foreign export (Synthea, FHIR R4, Akello, a program's own files)
becomes canonical tables. docs/profiles.md explains the file format and the built-in ones."""

from bcm_analytics.ingest.profiles.catalog import builtin_names, load
from bcm_analytics.ingest.profiles.export import FileUse, Mapping, TableRows, load_export, map_export
from bcm_analytics.ingest.profiles.model import Profile, ProfileError

__all__ = ["FileUse", "Mapping", "Profile", "ProfileError", "TableRows", "builtin_names", "load", "load_export", "map_export"]
