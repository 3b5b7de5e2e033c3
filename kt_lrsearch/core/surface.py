"""The acquisition surface: the fantasised GP and log-EI over the candidates.

Running points are fantasised at their posterior mean (kriging believer), EI's
reference is the best posterior mean at a completed point, and in more than one
dimension the best allowed candidates are polished by a local search
(:mod:`kt_lrsearch.core.refine`).
"""

from __future__ import annotations

import numpy as np

from kt_lrsearch.core import acquisition, refine, space, ties, trust_region
from kt_lrsearch.core.candidates import allowed_mask, free_radius, rank_candidates
from kt_lrsearch.core.decision_types import FloatArray, Model, Observations, Posterior, Snap

# Best candidates polished by the local search of kt_lrsearch.core.refine (d > 1).
REFINE_STARTS = 5


def fantasise(model: Model, pending: FloatArray) -> Model:
    """Kriging believer: pending points (r, d) return the current posterior mean.

    The mean stays put and the uncertainty (and so EI) shrinks around them, so
    parallel workers are not sent to the same place.
    """
    if not pending.shape[0]:
        return model
    fantasy, _ = model.predict(pending)
    return model.condition_on(pending, fantasy)


def posterior(
    model: Model,
    obs: Observations,
    model_scores: FloatArray,
    pending: FloatArray,
    candidates: FloatArray,
    *,
    xi: float,
    min_distance: float,
    snap: Snap | None = None,
    seed: tuple[int, ...] = (0,),
    box: trust_region.Box | None = None,
) -> Posterior:
    """The fantasised GP and log-EI over the candidates.

    ``xi`` is in units of the observations' standard deviation; the EI margin
    in score units is ``xi * scale`` of the GP's standardiser. With ``snap``
    and d > 1, the ``REFINE_STARTS`` best allowed candidates are refined by a
    local search on log-EI (:mod:`kt_lrsearch.core.refine`, seeded by ``seed``) and
    the refined points are appended to the candidates. Candidates within
    ``min_distance`` of an observed or pending point are not allowed; when that
    leaves none, the radius halves until some are (:func:`free_radius`). With a trust region
    ``box``, points outside it (snapping can move them) are not allowed (log-EI -inf).
    """
    model = fantasise(model, pending)
    ok = obs.ok
    obs_mean = model.predict(obs.unit)[0]
    if ok.any():
        at_ok = obs_mean[ok]
        incumbent = float(np.max(at_ok))
        centre = obs.unit[ok][ties.first_max(at_ok)]
    else:
        incumbent = float(np.max(model_scores))
        centre = obs.unit[ties.first_max(model_scores)]
    margin = xi * model.standardiser.scale

    def log_ei(points: FloatArray) -> FloatArray:
        mean, std = model.predict(points)
        value = acquisition.log_expected_improvement(mean, std, incumbent, xi=margin)
        return np.where(trust_region.inside(box, points), value, -np.inf)

    taken = np.concatenate([obs.unit, pending])
    mean, std = model.predict(candidates)
    scores = acquisition.log_expected_improvement(mean, std, incumbent, xi=margin)
    distances = space.min_distances(candidates, taken)
    radius = free_radius(distances, min_distance)
    allowed = (distances >= radius) & trust_region.inside(box, candidates)
    if snap is not None and candidates.shape[1] > 1:
        starts = candidates[rank_candidates(scores, allowed)[:REFINE_STARTS]]
        refined, refined_scores = refine.refine(log_ei, starts, snap=snap, seed=seed)
        refined_mean, refined_std = model.predict(refined)
        candidates = np.concatenate([candidates, refined])
        mean, std = np.concatenate([mean, refined_mean]), np.concatenate([std, refined_std])
        scores = np.concatenate([scores, refined_scores])
        in_box = trust_region.inside(box, refined)
        allowed = np.concatenate([allowed, allowed_mask(refined, taken, radius) & in_box])
    return Posterior(
        candidates=candidates,
        mean=mean,
        std=std,
        log_ei=scores,
        allowed=allowed,
        incumbent=incumbent if ok.any() else None,
        model=model,
        reference=incumbent,
        margin=margin,
        centre=centre,
        obs_mean=obs_mean,
    )


def axis_slice(
    post: Posterior, axis: int, positions: FloatArray, snap: Snap
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The posterior along one axis through ``post.centre``: (mean, std, log_ei), (k,) each.

    ``positions`` (k,) are unit coordinates on ``axis``; the other coordinates
    stay at the centre's, then ``snap`` puts each point on the values it
    decodes to. EI uses the decision's own reference and margin.
    """
    points = np.repeat(post.centre[None, :], positions.shape[0], axis=0)
    points[:, axis] = positions
    mean, std = post.model.predict(snap(points))
    log_ei = acquisition.log_expected_improvement(mean, std, post.reference, xi=post.margin)
    return mean, std, log_ei
