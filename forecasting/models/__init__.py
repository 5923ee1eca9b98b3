"""Forecasting models behind one interface (see base.ForecastModel), and their registry."""

from __future__ import annotations

from .base import FitContext, ForecastModel, ModelFitError

__all__ = ["REGISTRY", "register", "get_model", "available_models", "FitContext",
           "ForecastModel", "ModelFitError"]

#: Model name -> class, in the order tables list them.
REGISTRY: dict[str, type[ForecastModel]] = {}


def register(cls: type[ForecastModel]) -> type[ForecastModel]:
    """Class decorator adding a model to the registry under ``cls.name``."""
    if not cls.name or cls.name in REGISTRY:
        raise ValueError(f"Model name {cls.name!r} is empty or already registered.")
    REGISTRY[cls.name] = cls
    return cls


def get_model(name: str) -> ForecastModel:
    """A fresh, unfitted model by registry name."""
    try:
        return REGISTRY[name]()
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; choose from {', '.join(REGISTRY)} or 'auto'.") from None


def available_models(frequency: str | None = None, *, include_slow: bool = True) -> list[str]:
    """Registered model names that handle a frequency (and optionally only the fast ones)."""
    return [n for n, c in REGISTRY.items()
            if (frequency is None or frequency in c.frequencies) and (include_slow or not c.slow)]


# Importing the modules registers the models, in table order.
from . import naive  # noqa: E402,F401
from . import glm, ets, mstl, arima, prophet_model, fallback  # noqa: E402,F401
