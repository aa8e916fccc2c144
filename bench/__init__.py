"""Benchmarks: each module has a ``main()`` printing a table (``python -m bench``)."""
