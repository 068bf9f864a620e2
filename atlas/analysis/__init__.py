"""Figures computed from the tables: region indicators, the `RegionProfile`, comparison
tables, theme mixes, and the point grid used for clusters.
"""
