"""Widgets sleuth's screens share."""
