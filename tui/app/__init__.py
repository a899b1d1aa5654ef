"""The Textual app behind ``sleuth tui``; the core is reached only through ``tui.app.services``."""
