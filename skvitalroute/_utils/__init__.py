"""Helpers shared by every layer: random streams, threads, devices, Ctrl-C,
reprs and input checks. Nothing here imports the rest of the package."""
