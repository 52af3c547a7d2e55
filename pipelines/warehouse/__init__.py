"""The DuckDB warehouse: schema, the write path (one batch at a time) and read access."""

from pipelines.warehouse.errors import WarehouseError
from pipelines.warehouse.files import (
    building,
    default_db,
    open_readonly,
    version_key,
)

__all__ = ["WarehouseError", "building", "default_db", "open_readonly", "version_key"]
