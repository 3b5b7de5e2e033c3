"""GPEITuner: a ready Keras Tuner tuner around GPEIOracle, like ``kt.BayesianOptimization``.

Everything a Keras Tuner user already does works unchanged: ``search``,
``results_summary``, ``get_best_models``, ``get_best_hyperparameters``,
``overwrite``, and distributed tuning through the ``KERASTUNER_*`` variables::

    tuner = GPEITuner(build_model, objective="val_accuracy", max_trials=20,
                      directory="runs", project_name="mnist")
    tuner.search(x, y, epochs=2, validation_split=0.2)
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import keras_tuner

from kt_lrsearch.tuning import kt_private, project_changes, project_lock
from kt_lrsearch.tuning.oracle import GPEIOracle
from kt_lrsearch.tuning.reuse import ModelReuseTuner


class GPEITuner(ModelReuseTuner):
    """Bayesian optimisation with a Matern-5/2 GP and Expected Improvement.

    The arguments mirror ``keras_tuner.BayesianOptimization``'s by name, and
    its first four by position. ``alpha``/``beta`` of its GP-UCB have no
    counterpart: given as keywords they are ignored with a warning, so swapping
    the class name works. GPEIOracle's own options are passed by keyword (see
    :class:`~kt_lrsearch.tuning.oracle.GPEIOracle`); any other keyword
    (``directory``, ``project_name``, ``overwrite``, ``executions_per_trial``,
    ``max_model_size``, ``distribution_strategy``, ...) goes to ``keras_tuner.Tuner``.

    The tuner saves its state files atomically, refuses a project that another
    live process tunes (:mod:`kt_lrsearch.tuning.project_lock`), and refuses to
    reload a project made for another space or objective
    (:mod:`kt_lrsearch.tuning.project_changes`). A hypermodel that sets
    ``reuses_model = True`` (see :mod:`kt_lrsearch.tuning.reuse`) is built without
    Keras Tuner's per-trial ``clear_session()``; Keras Tuner's model-type and
    ``max_model_size`` checks hold for every hypermodel.

    Args:
        hypermodel: A ``HyperModel`` or a function ``build(hp) -> keras.Model``.
        objective: A string, ``keras_tuner.Objective`` or a list of them.
        max_trials: Total number of trials (the evaluation budget).
        num_initial_points: Scrambled-Sobol trials before the GP; d + 1 by default.
        seed: Random seed; the search is a deterministic function of it.
        hyperparameters: Optional ``HyperParameters`` to override or fix parts
            of the space the hypermodel declares.
        tune_new_entries: As in ``keras_tuner.BayesianOptimization``.
        allow_new_entries: As in ``keras_tuner.BayesianOptimization``.
        max_retries_per_trial: As in ``keras_tuner.BayesianOptimization``.
        max_consecutive_failed_trials: As in ``keras_tuner.BayesianOptimization``.
        **kwargs: GPEIOracle's keyword-only options (``ORACLE_OPTIONS``:
            ``grid_size``, ``num_candidates``, ``xi``, ``min_distance``,
            ``failure_penalty``, ``ei_stop_threshold``, ``xi_decay``, ``refine``,
            ``trust_region``, ``callbacks``, ``warm_start``, ``threads``) go to
            the oracle, with its defaults; the rest to ``keras_tuner.Tuner``.
    """

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        max_trials: int = 10,
        num_initial_points: int | None = None,
        seed: int | None = None,
        hyperparameters: keras_tuner.HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        **kwargs: Any,
    ) -> None:
        _drop_ucb_settings(kwargs)
        # Before Keras Tuner reads, or (overwrite=True) deletes, the project.
        project_lock.hold(
            str(kwargs.get("directory") or "."),
            str(kwargs.get("project_name") or "untitled_project"),
        )
        own = {name: kwargs.pop(name) for name in ORACLE_OPTIONS if name in kwargs}
        oracle = GPEIOracle(
            objective=objective,
            max_trials=max_trials,
            num_initial_points=num_initial_points,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
            **own,
        )
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)

    def reload(self) -> None:
        """Reloads the project, refusing one made for another space.

        Keras Tuner would go on with the saved space whatever the hypermodel
        declares now; one build with fresh hyperparameters shows what it
        declares, and a changed range, type or new name is refused
        (:class:`~kt_lrsearch.tuning.project_changes.ProjectChanged`). The
        objective is checked by the oracle's own reload.

        Raises:
            ProjectChanged: The message names each change and the ways out.
        """
        super().reload()
        if self.hypermodel is None or kt_private.is_worker(self):
            return
        declared = keras_tuner.HyperParameters()
        self.hypermodel.declare_hyperparameters(declared)
        self.hypermodel.build(declared)
        changes = project_changes.space_changes(self.oracle.hyperparameters, declared)
        if changes:
            raise project_changes.refusal(self.project_dir, changes)


# GPEIOracle's keyword-only parameters: its own options, defaults written there once.
ORACLE_OPTIONS = tuple(
    name
    for name, parameter in inspect.signature(GPEIOracle.__init__).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
)

# kt.BayesianOptimization's GP-UCB settings: alpha is the noise it adds to the
# kernel (this GP fits its own noise level), beta the UCB weight (EI's margin is xi).
_UCB_SETTINGS = ("alpha", "beta")


def _drop_ucb_settings(kwargs: dict[str, Any]) -> None:
    """Removes ``alpha``/``beta`` from a tuner's keywords, warning once that they are ignored."""
    given = [name for name in _UCB_SETTINGS if name in kwargs]
    if given:
        warnings.warn(
            f"GPEITuner ignores {' and '.join(given)} (kt.BayesianOptimization's GP-UCB "
            "settings): its GP fits its own noise level, and Expected Improvement's "
            "exploration margin is `xi`. Remove them to silence this warning.",
            UserWarning,
            stacklevel=3,
        )
        for name in given:
            del kwargs[name]
