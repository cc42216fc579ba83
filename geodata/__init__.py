"""The map model: zones, border, terrain, coordinate systems and fixed sensors.

A pure library: no network, no global state. I/O happens only where a caller hands in a path.
"""
