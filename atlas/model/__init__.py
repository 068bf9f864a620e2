"""The atlas's vocabulary as plain data: layers, metrics, themes, filters, views, the table
schema, classification schemes, sources and credits. Depends on nothing else in the atlas.
"""
