"""sleuth's screens: one module per flow."""
