"""On-device proctoring: frame sources, face analysis, desktop monitors, events and risk."""
