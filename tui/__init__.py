"""The Textual terminal UI and the ``sleuth`` command line: the only place that may import Textual."""
