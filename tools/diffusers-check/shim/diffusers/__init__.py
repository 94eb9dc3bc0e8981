"""Minimal stand-in for the `diffusers` package: just the names that diffusers' scheduler modules import.

The scheduler files themselves are diffusers' own, unchanged (kept outside the repository); check.py puts their folder
on `diffusers.schedulers.__path__` so that their relative imports (`..configuration_utils`, `..utils`,
`.scheduling_utils`) resolve to this shim and to each other.
"""
