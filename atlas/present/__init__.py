"""Turning figures into what a user sees or downloads: the folium map payload and layers,
offline assets, PNG/PDF renders and exports (CSV, XLSX, GeoJSON).
"""
