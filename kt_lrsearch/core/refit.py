"""When a decision refits the GP's hyperparameters: the schedule of a long search.

Pure: a function of the number of observations, so a reloaded oracle refits
the same prefix of trials and decides exactly as an uninterrupted one.
"""

from __future__ import annotations

import math

# Every decision refits the hyperparameters up to this many observations;
# beyond, only when the count has grown by REFIT_GROWTH since the last refit.
REFIT_EVERY_UNTIL = 50
REFIT_GROWTH = 1.1


def hyperparameter_rows(n: int) -> int:
    """How many of n observations (the first, in trial order) the hyperparameters are fitted on.

    n itself up to ``REFIT_EVERY_UNTIL``; beyond, the largest point of
    ``s_0 = REFIT_EVERY_UNTIL, s_k = ceil(s_{k-1} * REFIT_GROWTH)`` that is at
    most n. The MAP fit is most of a decision's cost (1.5 of 1.7 s at n = 200
    in 6-D, from scratch each time), and 10% more observations move the MAP
    hyperparameters little; the posterior always conditions on all n. A pure
    function of n.
    """
    rows = REFIT_EVERY_UNTIL
    if n <= rows:
        return n
    while math.ceil(rows * REFIT_GROWTH) <= n:
        rows = math.ceil(rows * REFIT_GROWTH)
    return rows
