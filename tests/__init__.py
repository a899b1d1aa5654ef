"""Tests of sleuth."""
