"""The statistics engine: pure numpy/scipy, vectorised, each function documented with its method
and published source (user guide: docs/methods/).

Families live in submodules, imported here as namespaces; the most used functions are also
re-exported:

* :mod:`~saferplaces.stats.rates` — rates, Byar/exact/Wilson intervals, funnel limits
* :mod:`~saferplaces.stats.change` — Poisson z, C-test, E-test, WDD, year-on-year comparisons
* :mod:`~saferplaces.stats.spc` — XmR, c/u/p charts, Making Data Count rules, seasonality
* :mod:`~saferplaces.stats.batch` — XmR and C-test over many series at once
* :mod:`~saferplaces.stats.concentration` — Lorenz, Gini, generalised Gini, bootstrap
* :mod:`~saferplaces.stats.harm` — Cambridge Crime Harm Index, ONS Crime Severity Score
* :mod:`~saferplaces.stats.outcomes` — outcome groups, no-suspect rate, time to outcome
* :mod:`~saferplaces.stats.grid`, :mod:`~saferplaces.stats.kde`,
  :mod:`~saferplaces.stats.hotspots` — grid counts, KDE, Getis-Ord G/Gi*, hotspot classes, PAI
* :mod:`~saferplaces.stats.nearrepeat` — Knox test for dated events
* :mod:`~saferplaces.stats.equality` — who lives in hotspots; proactive-category hotspots
"""

from . import (
    batch,
    change,
    concentration,
    equality,
    grid,
    harm,
    hotspots,
    kde,
    nearrepeat,
    outcomes,
    rates,
    spc,
)
from .change import ChangeResult, conditional_test, e_test, poisson_z, wdd
from .concentration import generalized_gini, gini, lorenz_curve
from .hotspots import global_g, local_g
from .kde import kde as kernel_density
from .nearrepeat import knox_test
from .rates import count_interval, rate, wilson_interval
from .spc import SPCResult, xmr

__all__ = [
    "ChangeResult",
    "SPCResult",
    "batch",
    "change",
    "concentration",
    "conditional_test",
    "count_interval",
    "e_test",
    "equality",
    "generalized_gini",
    "gini",
    "global_g",
    "grid",
    "harm",
    "hotspots",
    "kde",
    "kernel_density",
    "knox_test",
    "local_g",
    "lorenz_curve",
    "nearrepeat",
    "outcomes",
    "poisson_z",
    "rate",
    "rates",
    "spc",
    "wdd",
    "wilson_interval",
    "xmr",
]
