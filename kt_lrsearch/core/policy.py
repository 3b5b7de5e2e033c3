"""The decision policy: from observations in the unit cube to the next point.

Pure and free of Keras Tuner: every input is a plain array or number, so each
rule (xi schedule, failure penalty, fantasies, distance filter, candidate
ranking) can be tested on arrays. :class:`~kt_lrsearch.tuning.oracle.GPEIOracle`
adapts Keras Tuner's trials to these inputs and the decision back to values.

Glossary (shapes): n observations, r pending (running or queued) points,
m candidates, d tuned dimensions.

- ``unit`` (n, d): observed points in the unit cube.
- ``status`` (n,): ``trial_rules.OK`` / ``FAILED`` / ``DIVERGED``.
- ``frame`` (n,): scores in the maximisation frame (``sign * score``), NaN
  where a trial failed.
- ``pending`` (r, d): points that are running or will run again.
- ``trials_so_far``: trials created so far (finished, running or queued); the
  position in the budget and in the initial design.

Two space-specific operations come in as callables, so the policy never
decodes values itself: ``snap`` moves points (k, d) onto the embedding of the
values they decode to, and ``is_taken(point)`` says whether a point's values
were already tried or are running.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from kt_lrsearch.core import (
    acquisition,
    features,
    gp,
    prior,
    refine,
    space,
    ties,
    trust_region,
    two_task,
)
from kt_lrsearch.core.options import PolicyOptions
from kt_lrsearch.core.trial_rules import OK

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Snap = Callable[[FloatArray], FloatArray]
IsTaken = Callable[[FloatArray], bool]
Model = gp.GaussianProcess | features.FeatureGP | two_task.AveragedGP

# How many initial-design (Sobol) indices to try before giving up on finding an
# unseen point there, and how many EI-ranked candidates before random fallback.
MAX_DESIGN_TRIES = 64
MAX_CANDIDATE_TRIES = 256
# Local candidates in more than one dimension: around the best few points, at a
# scale that refines within one grid cell of a 2048-point Sobol set.
LOCAL_CENTRES = 3
LOCAL_SCALE = 0.05
# Best candidates polished by the local search of kt_lrsearch.core.refine (d > 1).
REFINE_STARTS = 5

# What a decision asks of its caller.
PROPOSE = "propose"  # next_point is the proposal
EXHAUSTED = "exhausted"  # no candidate is free: fall back to random values, else stop
STOP = "stop"  # end the search (reason says why)


@dataclasses.dataclass(frozen=True)
class Observations:
    """Finished trials as the policy sees them (see the module glossary)."""

    unit: FloatArray  # (n, d)
    status: tuple[str, ...]  # (n,)
    frame: FloatArray  # (n,), maximisation frame, NaN where failed

    @property
    def ok(self) -> BoolArray:
        return np.asarray(self.status) == OK


@dataclasses.dataclass(frozen=True)
class Posterior:
    """The GP over the candidates, in the maximisation frame.

    Attributes:
        candidates: (m, d) unit points.
        mean: (m,) posterior mean, with running points fantasised.
        std: (m,) posterior standard deviation.
        log_ei: (m,) log Expected Improvement over ``incumbent`` with margin ``xi``.
        allowed: (m,) False within ``min_distance`` of an observed or pending point.
        incumbent: Best posterior mean at a completed point; None if none completed.
        model: The fantasised GP the arrays come from (for slices through it).
        reference: EI's reference value (the incumbent, else the best penalised score).
        margin: EI's margin in score units (``xi * scale``).
        centre: (d,) the completed point with the best posterior mean (else the
            best penalised one): where figures slice the space.
        obs_mean: (n,) posterior mean at every observation.
    """

    candidates: FloatArray
    mean: FloatArray
    std: FloatArray
    log_ei: FloatArray
    allowed: BoolArray
    incumbent: float | None
    model: Model
    reference: float
    margin: float
    centre: FloatArray
    obs_mean: FloatArray


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the policy decided.

    Attributes:
        outcome: ``PROPOSE``, ``EXHAUSTED`` or ``STOP``.
        next_point: (d,) the proposal when ``outcome == PROPOSE``, else None.
        reason: Why it stops; for ``EXHAUSTED``, what to say if the caller's
            random fallback finds nothing either. "" when proposing.
        initial_design: The proposal belongs to the initial design.
        model_scores: (n,) the scores the GP was fitted on (failures penalised).
        posterior: The GP over the candidates; None before any observation.
    """

    outcome: str
    next_point: FloatArray | None
    reason: str
    initial_design: bool
    model_scores: FloatArray
    posterior: Posterior | None


def current_xi(xi: float, decay: bool, trials_so_far: int, max_trials: int | None) -> float:
    """EI's margin for the next decision: ``xi * remaining / (max_trials - 1)``.

    ``xi`` is the margin at the first model-based trial (``PolicyOptions.margin``:
    the option over d, none in 2-D and 3-D by default). ``remaining = max(max_trials -
    trials_so_far - 1, 0)``: early evaluations explore (a large margin stops EI
    from creeping up a slope in small steps), the last ones, which decide the
    trial a user keeps, exploit. Without a budget of at least 2, or with
    ``decay=False``, the fraction is 1.
    """
    if not decay or not max_trials or max_trials < 2:
        return xi
    remaining = max(max_trials - trials_so_far - 1, 0)
    return xi * remaining / (max_trials - 1)


def penalise(frame: FloatArray, ok: BoolArray, failure_penalty: float) -> FloatArray:
    """Scores (n,) with failures set below the worst success.

    ``penalty = worst - failure_penalty * spread``, spread being the range of
    the completed scores (or |worst|, or 1, when that range is 0), so the GP
    sees failures as clearly bad without a scale-dependent constant. With no
    completed score every entry is 0.
    """
    out = np.array(frame, dtype=np.float64)
    if not ok.any():
        out[:] = 0.0
        return out
    worst = float(np.min(out[ok]))
    spread = float(np.ptp(out[ok])) or abs(worst) or 1.0
    out[~ok] = worst - failure_penalty * spread
    return out


def fantasise(model: Model, pending: FloatArray) -> Model:
    """Kriging believer: pending points (r, d) return the current posterior mean.

    The mean stays put and the uncertainty (and so EI) shrinks around them, so
    parallel workers are not sent to the same place.
    """
    if not pending.shape[0]:
        return model
    fantasy, _ = model.predict(pending)
    return model.condition_on(pending, fantasy)


def allowed_mask(candidates: FloatArray, taken: FloatArray, min_distance: float) -> BoolArray:
    """(m,) True where a candidate is at least ``min_distance`` from every taken point."""
    return space.min_distances(candidates, taken) >= min_distance


def rank_candidates(log_ei: FloatArray, allowed: BoolArray) -> list[int]:
    """Allowed candidate indices, highest log-EI first, near-ties in index order."""
    return [int(i) for i in ties.rank_descending(log_ei) if allowed[i]]


def global_candidates(options: PolicyOptions, *, dim: int, seed: int,
                      snap: Snap | None) -> FloatArray:  # fmt: skip
    """(m, d) the space-wide candidates: the dense 1-D grid, else scrambled Sobol.

    Snapped with ``snap`` when given. Also the reference points a warm start's
    prior is summarised over (:func:`kt_lrsearch.core.prior.prior_from`).
    """
    points = (space.unit_grid(options.grid_size) if dim == 1
              else space.sobol_points(options.num_candidates, dim, seed=seed))  # fmt: skip
    return points if snap is None else snap(points)


def candidate_set(obs: Observations, model_scores: FloatArray, options: PolicyOptions, *,
                  dim: int, seed: int, trials_so_far: int, snap: Snap,
                  box: trust_region.Box | None = None) -> FloatArray:  # fmt: skip
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


def posterior(model: Model, obs: Observations, model_scores: FloatArray,
              pending: FloatArray, candidates: FloatArray, *, xi: float, min_distance: float,
              snap: Snap | None = None, seed: tuple[int, ...] = (0,),
              box: trust_region.Box | None = None) -> Posterior:  # fmt: skip
    """The fantasised GP and log-EI over the candidates.

    ``xi`` is in units of the observations' standard deviation; the EI margin
    in score units is ``xi * scale`` of the GP's standardiser. With ``snap``
    and d > 1, the ``REFINE_STARTS`` best allowed candidates are refined by a
    local search on log-EI (:mod:`kt_lrsearch.core.refine`, seeded by ``seed``) and
    the refined points are appended to the candidates. With a trust region
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
    allowed = allowed_mask(candidates, taken, min_distance) & trust_region.inside(box, candidates)
    if snap is not None and candidates.shape[1] > 1:
        starts = candidates[rank_candidates(scores, allowed)[:REFINE_STARTS]]
        refined, refined_scores = refine.refine(log_ei, starts, snap=snap, seed=seed)
        refined_mean, refined_std = model.predict(refined)
        candidates = np.concatenate([candidates, refined])
        mean, std = np.concatenate([mean, refined_mean]), np.concatenate([std, refined_std])
        scores = np.concatenate([scores, refined_scores])
        in_box = trust_region.inside(box, refined)
        allowed = np.concatenate([allowed, allowed_mask(refined, taken, min_distance) & in_box])
    return Posterior(candidates=candidates, mean=mean, std=std, log_ei=scores, allowed=allowed,
                     incumbent=incumbent if ok.any() else None, model=model,
                     reference=incumbent, margin=margin, centre=centre,
                     obs_mean=obs_mean)  # fmt: skip


def axis_slice(post: Posterior, axis: int, positions: FloatArray,
               snap: Snap) -> tuple[FloatArray, FloatArray, FloatArray]:  # fmt: skip
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


def initial_point(obs: Observations, pending: FloatArray, *, dim: int, seed: int,
                  trials_so_far: int, min_distance: float, snap: Snap,
                  is_taken: IsTaken) -> FloatArray | None:  # fmt: skip
    """The next free point of the seeded scrambled-Sobol design, or None.

    Point ``trials_so_far`` of the design comes first; points closer than
    ``min_distance`` to a taken one, or whose values are taken, are skipped.
    """
    taken = np.concatenate([obs.unit, pending])
    points = snap(space.sobol_points(MAX_DESIGN_TRIES, dim, seed=seed, skip=trials_so_far))
    far = space.min_distances(points, taken) >= min_distance
    for point, ok in zip(points, far, strict=True):
        if ok and not is_taken(point):
            return point
    return None


def acquire(post: Posterior, ei_stop_threshold: float | None,
            is_taken: IsTaken) -> tuple[str, FloatArray | None, str]:  # fmt: skip
    """(outcome, point, reason): the best allowed, untaken candidate by EI."""
    if ei_stop_threshold is not None:
        best_ei = float(np.exp(np.max(post.log_ei)))
        if best_ei < ei_stop_threshold:
            return STOP, None, f"best EI {best_ei:.3g} fell below ei_stop_threshold"
    for index in rank_candidates(post.log_ei, post.allowed)[:MAX_CANDIDATE_TRIES]:
        if not is_taken(post.candidates[index]):
            return PROPOSE, post.candidates[index], ""
    return EXHAUSTED, None, "every candidate has been evaluated or is running"


def warm_first_point(prior_mean: prior.PriorMean, pending: FloatArray, *, snap: Snap,
                     min_distance: float, is_taken: IsTaken) -> FloatArray | None:  # fmt: skip
    """The earlier task's best point, when it is free: a warm search's first proposal."""
    point = snap(prior_mean.best[None, :])
    if space.min_distances(point, pending)[0] < min_distance or is_taken(point[0]):
        return None
    return point[0]


def decide(obs: Observations, pending: FloatArray, options: PolicyOptions, *, dim: int,
           seed: int, trials_so_far: int, max_trials: int | None, snap: Snap,
           is_taken: IsTaken, gp_features: features.Features | None = None,
           prior_mean: prior.PriorMean | None = None,
           boxable: bool = False) -> Decision:  # fmt: skip
    """The next point: initial design first, then the EI maximiser.

    The GP is fitted whenever there is an observation, also during the initial
    design, so the figures show it from the second trial on. With
    ``prior_mean`` (a warm start, :mod:`kt_lrsearch.core.prior`) there is no
    initial design: the first proposal is the earlier task's best point, and
    the new scores are modelled jointly with the earlier ones
    (:mod:`kt_lrsearch.core.two_task`).

    Args:
        obs: Finished trials, in trial order (the GP's sums depend on it).
        pending: (r, d) running or queued points.
        options: The oracle's options.
        dim: d, at least 1.
        seed: The search's seed; every decision is a function of it and the inputs.
        trials_so_far: Trials created so far (see the module glossary).
        max_trials: The budget, or None.
        snap: Moves points onto the values' embedding (see the module docstring).
        is_taken: Whether a point's values were tried or are running.
        gp_features: Maps unit points to the GP's inputs (one-hot unordered
            choices, :mod:`kt_lrsearch.core.features`); None: the unit points.
        prior_mean: The earlier task's fitted GP, or None (a cold search).
        boxable: Every axis is a Float or Int without conditions: with ``options.trust_region``
            a cold search's last third then stays in :mod:`kt_lrsearch.core.trust_region`'s box,
            unless the box has no untried candidate (or EI stops there): then it looks everywhere.
    """
    model_scores = penalise(obs.frame, obs.ok, options.failure_penalty)
    post = box = None
    if obs.unit.shape[0]:
        model = (features.fit(obs.unit, model_scores, gp_features) if prior_mean is None
                 else two_task.fit(obs.unit, model_scores, prior_mean.earlier))  # fmt: skip
        xi = current_xi(options.margin(dim), options.xi_decay, trials_so_far, max_trials)

        def search(region: trust_region.Box | None) -> Posterior:
            candidates = candidate_set(obs, model_scores, options, dim=dim, seed=seed, snap=snap,
                                       trials_so_far=trials_so_far, box=region)  # fmt: skip
            return posterior(model, obs, model_scores, pending, candidates, xi=xi, box=region,
                             min_distance=options.min_distance, seed=(seed, trials_so_far),
                             snap=snap if options.refine else None)  # fmt: skip

        box = (trust_region.region(obs.unit, obs.frame, obs.ok, model.hyperparameters.length_scale,
                                   n_initial=options.initial_points(dim),
                                   trials_so_far=trials_so_far, max_trials=max_trials)
               if boxable and options.trust_region and prior_mean is None else None)  # fmt: skip
        post = search(box)
    if prior_mean is not None and post is None:
        point = warm_first_point(prior_mean, pending, snap=snap,
                                 min_distance=options.min_distance, is_taken=is_taken)  # fmt: skip
        if point is not None:
            return Decision(PROPOSE, point, "", True, model_scores, post)
    design = prior_mean is None and trials_so_far < options.initial_points(dim)
    if design or post is None:
        point = initial_point(obs, pending, dim=dim, seed=seed, trials_so_far=trials_so_far,
                              min_distance=options.min_distance, snap=snap,
                              is_taken=is_taken)  # fmt: skip
        if point is None:
            return Decision(EXHAUSTED, None, "no untried point is left in the space", True,
                            model_scores, post)  # fmt: skip
        return Decision(PROPOSE, point, "", True, model_scores, post)
    outcome, point, reason = acquire(post, options.ei_stop_threshold, is_taken)
    if outcome != PROPOSE and box is not None:  # tried out or stopped in the box: look everywhere
        post = search(None)
        outcome, point, reason = acquire(post, options.ei_stop_threshold, is_taken)
    return Decision(outcome, point, reason, False, model_scores, post)


def nothing_to_tune(obs: Observations, options: PolicyOptions, *, tried: bool) -> Decision:
    """A space of Fixed values only (d = 0): its one point runs once, then stop."""
    scores = penalise(obs.frame, obs.ok, options.failure_penalty)
    if tried:
        reason = "the search space has no tunable hyperparameter left untried"
        return Decision(STOP, None, reason, True, scores, None)
    return Decision(PROPOSE, np.empty(0), "", True, scores, None)
