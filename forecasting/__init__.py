"""UEC Demand & Capacity Workbench engine: load, validate, summarise, forecast and chart NHS activity data."""

from .forecast import backtest, forecast
from .io import load_activity, load_sample, read_activity
from .schema import DataValidationError, ValidationReport

__all__ = ["forecast", "backtest", "load_activity", "load_sample", "read_activity",
           "DataValidationError", "ValidationReport"]
__version__ = "0.1.0"
