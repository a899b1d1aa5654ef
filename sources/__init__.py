"""Adapters that turn the outside world (files, other formats, live servers) into incidents."""
