"""The numerical core: kernel, GP, Expected Improvement, candidates and the decision.

Imports numpy, scipy and TensorFlow Probability only; never keras, keras_tuner,
matplotlib or click, and nothing from the other layers of the package.
"""
