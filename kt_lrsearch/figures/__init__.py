"""Figures of a decision: the 1-D and per-axis plots and the IterationPlotter callback.

Imports matplotlib and ``kt_lrsearch.core``; the callback reads a tuner's oracle
through its public methods only.
"""
