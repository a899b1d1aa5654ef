"""The Textual app behind ``sleuth tui``; the core is reached only through the ``sleuth`` service."""
