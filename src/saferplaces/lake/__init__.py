"""The Parquet lake: Hive-partitioned, atomically replaced, provenance-carrying partitions."""

from .catalog import connect, dataset_glob, list_partitions
from .partition import PartitionInfo, read_provenance, write_partition

__all__ = [
    "PartitionInfo",
    "connect",
    "dataset_glob",
    "list_partitions",
    "read_provenance",
    "write_partition",
]
