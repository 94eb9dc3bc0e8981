"""Empty: check.py appends the folder that holds diffusers' own scheduler files to this package's __path__."""
