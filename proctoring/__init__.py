"""On-device proctoring: frame sources, face analysis, desktop monitors, the event model and risk."""
