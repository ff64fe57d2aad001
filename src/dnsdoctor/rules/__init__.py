"""Capture rules: one file each, found by the registry."""
