"""The desktop client's composition root: entry point, settings, and the wiring of the parts."""
