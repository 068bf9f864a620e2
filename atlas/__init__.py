"""SSE Atlas core: data build, regions, themes, indicators. Never imports Streamlit."""

__version__ = "0.1.0"
