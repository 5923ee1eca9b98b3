"""UEC Demand & Capacity Workbench engine: load, validate, summarise and chart NHS activity data."""

from .io import load_activity, load_sample, read_activity
from .schema import DataValidationError, ValidationReport

__all__ = ["load_activity", "load_sample", "read_activity", "DataValidationError", "ValidationReport"]
__version__ = "0.1.0"
