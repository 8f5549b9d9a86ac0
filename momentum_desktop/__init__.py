"""Momentum Desktop: watch gradient descent and momentum move on loss surfaces."""

__version__ = "0.1.0"
