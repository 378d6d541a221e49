"""Vector tiles from PostGIS (ST_AsMVT)."""
