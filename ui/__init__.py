"""Streamlit glue shared by the pages: cached loaders, URL state, sidebar, footer.

Everything that computes lives in `atlas/`; this package only wires it to widgets.
"""
