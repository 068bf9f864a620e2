"""The Streamlit pages: thin views over `ui` and `atlas` (a package only so that import-linter
can check that nothing imports them)."""
