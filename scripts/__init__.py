"""Developer scripts: the demo run, screenshots."""
