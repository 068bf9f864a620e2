"""Bringing users' files in safely: reading (CSV, XLSX, GeoJSON, encodings, limits, the
sandbox), column suggestions, the import rules, duplicates, the report, and streaming of large
files. Nothing here knows about Streamlit or the workspace.
"""
