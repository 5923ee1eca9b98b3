"""Capacity against forecast demand: beds, length of stay and ED workforce."""

__all__ = []
