"""The hostile corpus: files an attacker or a careless user could feed the atlas, built by code
(nothing binary is committed). One module per kind of file; each exposes

    FILES: dict[str, Callable[[], bytes]]   # file name (with its extension) → its bytes

`tests/test_hostile_budget.py` feeds every file to `python -m atlas import --dry-run` and to the
data page's import and requires each to end within the budget (30 s, 1 GB) with exit status
0 or 2 and a one-line reason. Story files are fed to the story loader the same way.
"""
