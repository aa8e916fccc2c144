"""Qt windows, widgets, item models and the code editor; no network, camera or database access."""
