"""On-device proctoring: frame sources, face analysis, desktop monitors, events and risk.

This module imports nothing: the server imports `proctoring.events` and `proctoring.risk` (pure
standard library), which loads this package first.
"""
