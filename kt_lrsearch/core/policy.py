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
import functools

import numpy as np

from kt_lrsearch.core import (
    features,
    prior,
    refit,
    space,
    trust_region,
    two_task,
)
from kt_lrsearch.core.candidates import candidate_set, rank_candidates
from kt_lrsearch.core.decision_types import (
    EXHAUSTED,
    PROPOSE,
    STOP,
    BoolArray,
    Decision,
    FloatArray,
    IsTaken,
    Model,
    Observations,
    Posterior,
    Snap,
)
from kt_lrsearch.core.options import EXPLORING_TRIALS, PolicyOptions
from kt_lrsearch.core.surface import posterior

# How many initial-design (Sobol) indices to try before giving up on finding an
# unseen point there, and how many EI-ranked candidates before random fallback.
MAX_DESIGN_TRIES = 64
MAX_CANDIDATE_TRIES = 256


def current_xi(xi: float, decay: bool, trials_so_far: int, max_trials: int | None) -> float:
    """EI's margin for the next decision: ``xi * remaining / (H - 1)``, H = min(max_trials, 50).

    ``xi`` is the margin at the first model-based trial (``PolicyOptions.margin``:
    the option over d, none in 2-D and 3-D by default). ``remaining = max(H -
    trials_so_far - 1, 0)``: early evaluations explore (a large margin stops EI
    from creeping up a slope in small steps), the last ones, which decide the
    trial a user keeps, exploit. The horizon stops at ``EXPLORING_TRIALS``:
    the margin is in units of the scores' spread, and after some 50 trials the
    posterior SD near the optimum is a small fraction of it, so a margin still
    decaying over a 160-trial budget made EI underflow at every candidate and
    the search fill the space by variance alone (bench/bench_scaling.py
    --long). Without a budget of at least 2, or with ``decay=False``, the
    fraction is 1.
    """
    if not decay or not max_trials or max_trials < 2:
        return xi
    horizon = min(max_trials, EXPLORING_TRIALS)
    remaining = max(horizon - trials_so_far - 1, 0)
    return xi * remaining / (horizon - 1)


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


def initial_point(
    obs: Observations,
    pending: FloatArray,
    *,
    dim: int,
    seed: int,
    trials_so_far: int,
    min_distance: float,
    snap: Snap,
    is_taken: IsTaken,
) -> FloatArray | None:
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


def acquire(
    post: Posterior, ei_stop_threshold: float | None, is_taken: IsTaken
) -> tuple[str, FloatArray | None, str]:
    """(outcome, point, reason): the best allowed, untaken candidate by EI."""
    if ei_stop_threshold is not None:
        best_ei = float(np.exp(np.max(post.log_ei)))
        if best_ei < ei_stop_threshold:
            return STOP, None, f"best EI {best_ei:.3g} fell below ei_stop_threshold"
    for index in rank_candidates(post.log_ei, post.allowed)[:MAX_CANDIDATE_TRIES]:
        if not is_taken(post.candidates[index]):
            return PROPOSE, post.candidates[index], ""
    return EXHAUSTED, None, "every candidate has been evaluated or is running"


def warm_first_point(
    prior_mean: prior.PriorMean,
    pending: FloatArray,
    *,
    snap: Snap,
    min_distance: float,
    is_taken: IsTaken,
) -> FloatArray | None:
    """The earlier task's best point, when it is free: a warm search's first proposal."""
    point = snap(prior_mean.best[None, :])
    if space.min_distances(point, pending)[0] < min_distance or is_taken(point[0]):
        return None
    return point[0]


def decide(
    obs: Observations,
    pending: FloatArray,
    options: PolicyOptions,
    *,
    dim: int,
    seed: int,
    trials_so_far: int,
    max_trials: int | None,
    snap: Snap,
    is_taken: IsTaken,
    gp_features: features.Features | None = None,
    prior_mean: prior.PriorMean | None = None,
    boxable: bool = False,
) -> Decision:
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
    radius = options.distance(trials_so_far)
    context = _Context(obs, model_scores, pending, options, dim, seed, trials_so_far, snap, radius)
    post = box = search = None
    if obs.unit.shape[0]:
        model = (
            features.fit(
                obs.unit,
                model_scores,
                gp_features,
                fit_rows=refit.hyperparameter_rows(obs.unit.shape[0]),
            )
            if prior_mean is None
            else two_task.fit(obs.unit, model_scores, prior_mean.earlier)
        )
        xi = current_xi(options.margin(dim), options.xi_decay, trials_so_far, max_trials)
        search = functools.partial(_search, context, model, xi)
        if boxable and options.trust_region and prior_mean is None:
            box = trust_region.region(
                obs.unit,
                obs.frame,
                obs.ok,
                model.hyperparameters.length_scale,
                n_initial=options.initial_points(dim),
                trials_so_far=trials_so_far,
                max_trials=max_trials,
            )
        post = search(box)
    if prior_mean is not None and post is None:
        point = warm_first_point(
            prior_mean, pending, snap=snap, min_distance=context.radius, is_taken=is_taken
        )
        if point is not None:
            return Decision(PROPOSE, point, "", True, model_scores, post)
    design = prior_mean is None and trials_so_far < options.initial_points(dim)
    if design or post is None:
        return _design_decision(context, is_taken, post)
    outcome, point, reason = acquire(post, options.ei_stop_threshold, is_taken)
    if outcome != PROPOSE and box is not None:  # tried out or stopped in the box: look everywhere
        post = search(None)
        outcome, point, reason = acquire(post, options.ei_stop_threshold, is_taken)
    return Decision(outcome, point, reason, False, model_scores, post)


@dataclasses.dataclass(frozen=True)
class _Context:
    """What every candidate search of one decision shares."""

    obs: Observations
    model_scores: FloatArray
    pending: FloatArray
    options: PolicyOptions
    dim: int
    seed: int
    trials_so_far: int
    snap: Snap
    radius: float  # the distance filter's, for this budget (PolicyOptions.distance)


def _search(
    context: _Context, model: Model, xi: float, region: trust_region.Box | None
) -> Posterior:
    """The posterior over one decision's candidates, inside ``region`` when one is given."""
    c = context
    candidates = candidate_set(
        c.obs,
        c.model_scores,
        c.options,
        dim=c.dim,
        seed=c.seed,
        snap=c.snap,
        trials_so_far=c.trials_so_far,
        box=region,
    )
    return posterior(
        model,
        c.obs,
        c.model_scores,
        c.pending,
        candidates,
        xi=xi,
        box=region,
        min_distance=c.radius,
        seed=(c.seed, c.trials_so_far),
        snap=c.snap if c.options.refine else None,
    )


def _design_decision(context: _Context, is_taken: IsTaken, post: Posterior | None) -> Decision:
    """The initial design's next point, or EXHAUSTED when the space has none left."""
    c = context
    point = initial_point(
        c.obs,
        c.pending,
        dim=c.dim,
        seed=c.seed,
        trials_so_far=c.trials_so_far,
        min_distance=c.radius,
        snap=c.snap,
        is_taken=is_taken,
    )
    if point is None:
        reason = "no untried point is left in the space"
        return Decision(EXHAUSTED, None, reason, True, c.model_scores, post)
    return Decision(PROPOSE, point, "", True, c.model_scores, post)


def nothing_to_tune(obs: Observations, options: PolicyOptions, *, tried: bool) -> Decision:
    """A space of Fixed values only (d = 0): its one point runs once, then stop."""
    scores = penalise(obs.frame, obs.ok, options.failure_penalty)
    if tried:
        reason = "the search space has no tunable hyperparameter left untried"
        return Decision(STOP, None, reason, True, scores, None)
    return Decision(PROPOSE, np.empty(0), "", True, scores, None)
