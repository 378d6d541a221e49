"""OGC API - Features for QGIS and other GIS clients."""
