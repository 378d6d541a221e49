"""Open311 GeoReport v2, XML and JSON."""
