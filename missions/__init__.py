"""Mission planning and validation over border terrain (pure library; the CLI is the edge in ``cli``).

- ``missions.model``: the immutable mission model (items with altitude frames, vehicle, authorisations).
- ``missions.validate``: ``validate(mission, region, at=..., rules=...)`` -> ``ValidationReport``.
- ``missions.patterns``: survey grid, corridor, orbit, IAMSAR patterns, terrain following.
- ``missions.formats``: QGC .plan, MAVLink items, GeoJSON, KML, .waypoints.
- ``missions.fence``: onboard geofence from nearby zones; ``missions.profile``: altitude profile PNG.
"""
