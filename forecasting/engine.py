"""Where fits run: in this process or a local process pool, with results in task order."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["default_workers", "run_tasks"]


def default_workers() -> int:
    """All the cores this process may use (2 on the reference machine)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], n_jobs: int | None = None) -> list:
    """Apply ``fn`` to every task, in parallel when worth it; results come back in task order.

    Each task carries its own seed, so results do not depend on the number of workers.
    ``n_jobs=1`` runs in this process (easiest to debug and profile).
    """
    n = default_workers() if n_jobs is None else max(int(n_jobs), 1)
    n = min(n, len(tasks))
    if n <= 1:
        return [fn(t) for t in tasks]
    # fork shares the already-imported engine (and its models) with the workers at no cost;
    # fall back to the platform default where fork does not exist
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        return list(pool.map(fn, tasks))
