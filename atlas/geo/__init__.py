"""Geography at run time: loading the built layers, the point-in-polygon join, and the one
region-name index used by both the importer and the search box.
"""
