"""Reading users' files safely: what every reader shares (the failure type, the limits) and
the readers that need more than a few lines (XLSX, GeoJSON, text encodings).

`atlas.importer` builds on these; nothing here knows about themes, regions or the workspace.
"""
