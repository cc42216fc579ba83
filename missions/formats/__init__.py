"""Mission file formats: QGC ``.plan`` (the exchange format), MAVLink mission items, GeoJSON, and the
declared-lossy KML and QGC WPL 110 ``.waypoints``. One MAVLink mapping (``codec``) serves them all."""
