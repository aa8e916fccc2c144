"""PyInstaller spec and build script for the desktop bundle."""
