"""Partner data: declarative dataset definitions, imports with validation and quarantine,
personal-data checks, and queries with disclosure control. User guide: docs/partner-data.md."""

from .definitions import (
    DatasetDefinition,
    DatasetNotFoundError,
    builtin_names,
    list_definitions,
    load_definition,
)
from .importer import ImportReport, PersonalDataError, WrongDatasetError, import_file
from .mapping import ColumnMapping, load_mapping, propose, save_mapping
from .query import Counts, DatasetStatus, QueryError, counts, dataset_frame, present_datasets
from .retention import PurgeReport, purge

__all__ = [
    "ColumnMapping",
    "Counts",
    "DatasetDefinition",
    "DatasetNotFoundError",
    "DatasetStatus",
    "ImportReport",
    "PersonalDataError",
    "PurgeReport",
    "QueryError",
    "WrongDatasetError",
    "builtin_names",
    "counts",
    "dataset_frame",
    "import_file",
    "list_definitions",
    "load_definition",
    "load_mapping",
    "present_datasets",
    "propose",
    "purge",
    "save_mapping",
]
