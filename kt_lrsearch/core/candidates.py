"""Where the decision looks: the candidate sets, the distance filter and the EI ranking.

In one dimension the candidates are the dense grid of the unit embedding (a
log-spaced grid of learning rates); in more, scrambled Sobol points plus local
points around the best observations, inside a trust region when one is set.
"""

from __future__ import annotations

import numpy as np

from kt_lrsearch.core import space, ties, trust_region
from kt_lrsearch.core.decision_types import BoolArray, FloatArray, Observations, Snap
from kt_lrsearch.core.options import LATE_RADIUS, PolicyOptions

# Local candidates in more than one dimension: around the best few points, at a
# scale that refines within one grid cell of a 2048-point Sobol set.
LOCAL_CENTRES = 3


LOCAL_SCALE = 0.05


# The distance filter never shrinks below the radius of a late search.
SMALLEST_RADIUS = LATE_RADIUS


def allowed_mask(candidates: FloatArray, taken: FloatArray, min_distance: float) -> BoolArray:
    """(m,) True where a candidate is at least ``min_distance`` from every taken point."""
    return space.min_distances(candidates, taken) >= min_distance


def free_radius(distances: FloatArray, radius: float) -> float:
    """The filter's radius: ``radius``, halved until some candidate lies beyond it.

    ``distances`` (m,) are each candidate's distance to its nearest taken
    point. When a long search has filled the space at ``radius``, the filter
    shrinks instead of leaving the decision no model-based candidate (and Keras
    Tuner's random sampler the rest of the search). Stops at
    ``SMALLEST_RADIUS``: then only candidates with no room at all are out.
    """
    while radius > SMALLEST_RADIUS and not np.any(distances >= radius):
        radius /= 2.0
    return max(radius, SMALLEST_RADIUS)


def rank_candidates(log_ei: FloatArray, allowed: BoolArray) -> list[int]:
    """Allowed candidate indices, highest log-EI first, near-ties in index order."""
    return [int(i) for i in ties.rank_descending(log_ei) if allowed[i]]


def global_candidates(
    options: PolicyOptions, *, dim: int, seed: int, snap: Snap | None
) -> FloatArray:
    """(m, d) the space-wide candidates: the dense 1-D grid, else scrambled Sobol.

    Snapped with ``snap`` when given. Also the reference points a warm start's
    prior is summarised over (:func:`kt_lrsearch.core.prior.prior_from`).
    """
    points = (
        space.unit_grid(options.grid_size)
        if dim == 1
        else space.sobol_points(options.num_candidates, dim, seed=seed)
    )
    return points if snap is None else snap(points)


def candidate_set(
    obs: Observations,
    model_scores: FloatArray,
    options: PolicyOptions,
    *,
    dim: int,
    seed: int,
    trials_so_far: int,
    snap: Snap,
    box: trust_region.Box | None = None,
) -> FloatArray:
    """(m, d) candidates: the dense 1-D grid, or Sobol plus points around the best.

    In 1-D the grid is uniform in the unit embedding (log-spaced rates). In
    more dimensions, ``num_candidates`` scrambled-Sobol points plus
    ``num_candidates // 4`` local ones around the best ``LOCAL_CENTRES``
    observations, reseeded at each step; in a trust region ``box``, spread over it and clipped.
    """
    if dim == 1:
        return global_candidates(options, dim=dim, seed=seed, snap=snap)
    sobol = global_candidates(options, dim=dim, seed=seed, snap=None)
    order = np.argsort(-model_scores, kind="stable")[:LOCAL_CENTRES]
    local = space.local_candidates(
        obs.unit[order],
        options.num_candidates // (4 * LOCAL_CENTRES),
        scale=LOCAL_SCALE,
        seed=seed * 7919 + trials_so_far,
    )
    if box is not None:
        sobol, local = box.spread(sobol), box.clip(local)
    return snap(np.concatenate([sobol, local]))
