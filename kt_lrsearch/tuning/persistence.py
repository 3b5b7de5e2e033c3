"""Keras Tuner's oracle with crash-safe files and a reload that repairs what a kill left.

A search may be killed at any instant (SIGKILL, a full disk, a lost machine).
Its state files are written through a temporary file and a rename, so each
holds its old content or its new one; and a reload queues every trial that was
running, including one whose ``trial.json`` was written but ``oracle.json`` not,
so it runs again instead of counting towards the budget unrun.
"""

from __future__ import annotations

import keras_tuner
from keras_tuner.engine import trial as trial_module

from kt_lrsearch.core import trial_rules
from kt_lrsearch.core.files import is_local, save_json
from kt_lrsearch.tuning import kt_private

TrialStatus = trial_module.TrialStatus


class CrashSafeOracle(keras_tuner.Oracle):
    """A ``keras_tuner.Oracle`` whose files survive a kill and whose reload repairs them."""

    def end_trial(self, trial: trial_module.Trial) -> None:
        """Ends a trial as Keras Tuner does, then saves once more.

        Keras Tuner saves ``oracle.json`` before it removes the trial from
        ``ongoing_trials``, so a reload would queue the finished trial for a
        retry and run it again; the second save records the final state.
        """
        super().end_trial(trial)
        self.save()

    def save(self) -> None:
        """Saves ``oracle.json`` atomically: a kill mid-write must not lose the project."""
        fname = kt_private.oracle_file(self)
        if is_local(fname):
            save_json(fname, self.get_state())
        else:
            super().save()

    def _save_trial(self, trial: trial_module.Trial) -> None:
        fname = kt_private.trial_file(self, trial.trial_id)
        if is_local(fname):
            save_json(fname, trial.get_state())
        else:
            super()._save_trial(trial)

    def reload(self) -> None:
        """Reloads the project; every unfinished trial, and only those, runs again.

        Also repairs projects saved by the stock ``end_trial`` (see above),
        where the last finished trial still appears as ongoing.
        """
        super().reload()
        queue = kt_private.retry_queue(self)
        queued = [t for t in queue if self.trials[t].status == TrialStatus.RUNNING]
        # Keras Tuner's create_trial writes trial.json, then oracle.json: a kill
        # between the two leaves a RUNNING trial that oracle.json does not list
        # as ongoing (seen in the SIGKILL test). Queue it too, or it would count
        # towards the budget without ever running. pop() takes from the end.
        orphans = [
            t
            for t, trial in self.trials.items()
            if trial.status == TrialStatus.RUNNING and t not in queued
        ]
        orphans.sort(key=trial_rules.order_key, reverse=True)
        kt_private.set_retry_queue(self, orphans + queued)
        self.forget_decisions()

    def forget_decisions(self) -> None:
        """Drops anything cached from the trials (the subclass's decisions)."""
