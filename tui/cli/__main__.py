"""``python -m tui.cli``: the ``sleuth`` command without the installed script."""

from tui.cli import main

raise SystemExit(main())
