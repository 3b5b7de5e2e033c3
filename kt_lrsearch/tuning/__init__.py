"""The Keras Tuner integration: space encoding, observations, GPEIOracle and GPEITuner.

Imports keras_tuner (and keras where a tuner builds models) and ``kt_lrsearch.core``;
never ``figures`` or ``app``.
"""
