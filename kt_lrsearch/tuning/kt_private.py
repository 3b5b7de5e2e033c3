"""Keras Tuner's private API: every name kt_lrsearch needs that has no public form.

Keras Tuner's oracle keeps its bookkeeping (values already tried, the retry
queue, file names) in private attributes, and its gRPC service for distributed
tuning lives under ``keras_tuner.src``. kt_lrsearch reads and writes them only
here, through one small function each, and overrides three private hooks
(:data:`OVERRIDDEN`). :data:`REQUIRED` lists every private name with what it
serves; ``tests/test_kt_private.py`` checks each against the installed Keras
Tuner, so an upgrade that drops one fails there with the name, not deep inside
a search. Tested with keras-tuner 1.4.7 and 1.4.8 (pyproject's range).

Replaced by public API: the tuner's file name (``project_dir`` and
``tuner_id``), the seed (``Oracle.seed``, also written to ``_seed_state``
below).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the hints: importing this module loads nothing
    import keras_tuner

# (where, name, what kt_lrsearch uses it for). "oracle" names are attributes of
# a keras_tuner.Oracle instance, "tuner" of keras_tuner.Tuner, "hyperparameter"
# of a stepped Int, "module" are importable paths.
REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("oracle", "_seed_state", "a seed of 0 kept (Keras Tuner replaces it by a random one)"),
    ("oracle", "_tried_so_far", "which values were tried, for duplicate checks"),
    ("oracle", "_id_to_hash", "which values each trial holds"),
    ("oracle", "_retry_queue", "trials to run again after a crash"),
    ("oracle", "_compute_values_hash", "the key Keras Tuner files tried values under"),
    ("oracle", "_get_oracle_fname", "where oracle.json is saved atomically"),
    ("oracle", "_get_trial_dir", "where trial.json is saved atomically"),
    ("oracle", "_set_project_dir", "an oracle reading a project without a tuner (report)"),
    ("oracle", "_duplicate", "Keras Tuner's own duplicate check"),
    ("oracle", "_random_values", "Keras Tuner's sampler when every candidate is taken"),
    ("oracle", "_record_values", "overridden: a proposal's inactive children kept"),
    ("oracle", "_save_trial", "overridden: trial.json written atomically"),
    ("tuner", "_try_build", "overridden: no clear_session for a reused model"),
    ("tuner", "_build_hypermodel", "the build in the tuner's distribution scope"),
    ("tuner", "_is_worker", "a worker never saves the chief's oracle"),
    ("hyperparameter", "_get_n_values", "the number of values of a stepped Int or Float"),
    ("module", "keras_tuner.src.protos", "the gRPC service a chief serves workers with"),
    ("module", "keras_tuner.src.distribute.oracle_chief", "OracleServicer and exit_chief"),
    ("module", "keras_tuner.src.distribute.utils", "a worker process told apart before a tuner"),
)
OVERRIDDEN = ("_record_values", "_save_trial", "_try_build")


# ----------------------------------------------------------------- the oracle


def keep_seed(oracle: keras_tuner.Oracle, seed: int) -> None:
    """Sets the seed Keras Tuner's own sampler draws from (it would replace 0)."""
    oracle.seed = oracle._seed_state = int(seed)


def values_hash(oracle: keras_tuner.Oracle, values: dict[str, Any]) -> str:
    """The key Keras Tuner files a set of values under."""
    return oracle._compute_values_hash(values)


def record_tried(oracle: keras_tuner.Oracle, trial_id: str, values: dict[str, Any]) -> None:
    """Marks ``values`` as what trial ``trial_id`` tried, replacing its earlier record."""
    new = values_hash(oracle, values)
    oracle._tried_so_far.add(new)
    old = oracle._id_to_hash[trial_id]
    if old != new:
        oracle._id_to_hash[trial_id] = new
        oracle._tried_so_far.discard(old)


def record_values(oracle: keras_tuner.Oracle, trial: Any) -> None:
    """Keras Tuner's bookkeeping of a trial's values, as if the oracle had proposed it."""
    oracle._record_values(trial)


def retry_queue(oracle: keras_tuner.Oracle) -> list[str]:
    """The ids of the trials that will run again (the last one first)."""
    return oracle._retry_queue


def set_retry_queue(oracle: keras_tuner.Oracle, trial_ids: list[str]) -> None:
    oracle._retry_queue = trial_ids


def oracle_file(oracle: keras_tuner.Oracle) -> str:
    """The path of the project's ``oracle.json``."""
    return oracle._get_oracle_fname()


def trial_file(oracle: keras_tuner.Oracle, trial_id: str) -> str:
    """The path of a trial's ``trial.json``."""
    return os.path.join(oracle._get_trial_dir(trial_id), "trial.json")


def set_project_dir(oracle: keras_tuner.Oracle, directory: str, project_name: str) -> None:
    """Points an oracle used without a tuner at a project (as a tuner does at build)."""
    oracle._set_project_dir(directory, project_name)


def is_duplicate(oracle: keras_tuner.Oracle, values: dict[str, Any]) -> bool:
    """Whether Keras Tuner counts ``values`` as tried already."""
    return bool(oracle._duplicate(values))


def is_taken(oracle: keras_tuner.Oracle, values: dict[str, Any]) -> bool:
    """Whether these values were tried (Keras Tuner's record) or a trial runs them now."""
    if is_duplicate(oracle, values):
        return True
    key = values_hash(oracle, values)
    return any(
        values_hash(oracle, t.hyperparameters.values) == key
        for t in oracle.trials.values()
        if t.status == "RUNNING"
    )


def random_values(oracle: keras_tuner.Oracle) -> dict[str, Any] | None:
    """Keras Tuner's random sampler: unseen values, or None after its own tries."""
    return oracle._random_values()


# ------------------------------------------------------------------ the tuner


def build_in_scope(tuner: keras_tuner.Tuner, hp: keras_tuner.HyperParameters) -> Any:
    """The hypermodel's build in the tuner's distribution scope, compile overrides applied."""
    return tuner._build_hypermodel(hp)


def is_worker(tuner: keras_tuner.Tuner) -> bool:
    """Whether this tuner is a worker of a distributed search (not the chief)."""
    return bool(tuner._is_worker())


def is_worker_process() -> bool:
    """:func:`is_worker` before a tuner exists: Keras Tuner's own test of its variables."""
    from keras_tuner.src.distribute import utils

    return bool(utils.has_chief_oracle() and not utils.is_chief_oracle())


def tuner_file(tuner: keras_tuner.Tuner) -> str:
    """The path of the tuner's own JSON file (public attributes only)."""
    return os.path.join(str(tuner.project_dir), f"{tuner.tuner_id}.json")


# ---------------------------------------------------------- hyperparameters


def value_count(hp: Any) -> int:
    """The number of values of a stepped Int or Float."""
    return int(hp._get_n_values())


# ------------------------------------------------------------- distribution


def oracle_service(oracle: keras_tuner.Oracle, server: Any) -> Any:
    """Adds Keras Tuner's OracleServicer for ``oracle`` to a gRPC server; returns it."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    servicer = OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    return servicer


def chief_may_exit(oracle: keras_tuner.Oracle) -> bool:
    """Keras Tuner's own test that no trial still runs on any worker."""
    from keras_tuner.src.distribute.oracle_chief import exit_chief

    return bool(exit_chief(oracle))
