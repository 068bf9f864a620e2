"""An import's report as people read it (terminal text) and the popup note of rows placed at a
region's label point."""

from __future__ import annotations

import pandas as pd


def render_report(report: dict, limit: int = 20) -> str:
    """The report as text for a terminal: counts first, then the rows to look at."""
    placed = report["placed"]
    out = [
        f"format: {report['format']}",
        f"read {report['read']:,}, accepted {report['accepted']:,}, "
        f"rejected {report['rejected']:,}",
        f"placed: {placed['coordinates']:,} by coordinates, {placed['region']:,} by region "
        f"(approximate, at the region's label point), {placed['none']:,} not on the map",
        f"themes: {report['with_theme']:,} rows with at least one theme",
        f"duplicates: {report['duplicates']:,} "
        f"({'merged' if report['duplicates_merged'] else 'kept; --merge-duplicates merges'})",
    ]
    out += [f"warning: {w}" for w in report["warnings"]]
    sections = (
        ("rejected rows", [f"line {r['line']}: {r['reason']}" for r in report["rejections"]]),
        ("rows to check", [f"line {f['line']}: {f['issue']}" for f in report["flagged"]]),
        ("duplicates", [f"lines {', '.join(map(str, g['lines']))}: {g['reason']}"
                        for g in report["duplicate_groups"]]),
        ("region names not placed", [
            f"{r['value']!r} ({r['rows']} rows, {r['how']})"
            + (f"; suggestions: {', '.join(s['label'] for s in r['suggestions'][:3])}"
               if r["suggestions"] else "")
            for r in report["regions"] if not r["region"]]),
        ("keyword themes to review (--keyword-themes accepts them)", [
            f"{k['keyword']!r} → {', '.join(k['theme_labels'])} ({k['rows']} rows)"
            for k in report["keyword_suggestions"]]),
    )
    for title, items in sections:
        if items:
            out.append(f"{title} ({len(items):,}):")
            out += [f"  {item}" for item in items[:limit]]
            if len(items) > limit:
                out.append(f"  … {len(items) - limit:,} more (use --json for all)")
    return "\n".join(out)


def approximate_notes(rows: pd.DataFrame) -> pd.Series:
    """Popup note (plain text) for rows drawn at a region's label point; '' for the others.

    The region comes from the row's `placed_in` column (structured data, never parsed back
    from the report text); rows saved before that column existed say "its region"."""
    if "placement" not in rows:
        return pd.Series("", index=rows.index, dtype=object)
    approx = rows["placement"] == "region_label_point"
    out = pd.Series("", index=rows.index, dtype=object)
    if approx.any():
        placed = (rows["placed_in"] if "placed_in" in rows
                  else pd.Series(None, index=rows.index))[approx].astype(object)
        where = placed.where(placed.notna() & (placed != ""), "its region")
        out[approx] = "Approximate location: drawn at the label point of " + where.astype(str)
    return out
