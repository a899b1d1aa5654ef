"""Sub-commands of ``sleuth``; each module registers its own with ``register(subparsers)``."""
