"""Where datasets and stories live: the shipped initiatives, the workspace of saved imports,
the catalogue that lists both with this session's, saved stories, and write access.
"""
