"""The scale benchmark's quick mode runs end to end (CI smoke test; no timing assertions).

It drives Debian Chromium like the browser tests, hence the `browser` mark; two to three
minutes on 2 shared cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
METRICS = {"import_s", "peak_rss_mb", "load_s", "filter_p50_ms", "filter_p95_ms",
           "map_server_s", "payload_bytes", "browser_draw_s", "browser_redraw_s"}
# Context (issue 13): each against today's per_100k choropleth of the same run (or, for the
# need table, the naive one), so each must have its baseline too.
CONTEXT_METRICS = {"map_context_server_s", "map_context_payload_bytes", "map_bivariate_server_s",
                   "map_bivariate_payload_bytes", "need_table_ms", "browser_context_draw_s",
                   "browser_bivariate_draw_s", "browser_need_draw_s"}


@pytest.mark.browser
@pytest.mark.bench_smoke
def test_quick_benchmark_writes_every_metric(tmp_path):
    out = tmp_path / "quick.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert isinstance(report["machine"], str) and report["machine"]
    assert isinstance(report["date"], str) and report["date"][:4].isdigit()
    results = report["results"]
    assert METRICS | CONTEXT_METRICS <= {r["metric"] for r in results}
    for r in results:
        assert set(r) == {"n", "metric", "ours", "baseline", "unit"}
        assert isinstance(r["n"], int) and isinstance(r["unit"], str)
        assert r["baseline"] is None or isinstance(r["baseline"], (int, float))
        if r["metric"] != "browser_redraw_s":
            assert isinstance(r["ours"], (int, float)) and r["ours"] > 0
    assert "filter_p50_ms" in done.stdout and "baseline/ours" in done.stdout
    # The baselines ran too: a naive app that no longer draws would make every ratio vanish.
    for metric in ("browser_draw_s", "map_server_s", "payload_bytes", "import_s",
                   *sorted(CONTEXT_METRICS)):
        row = next(r for r in results if r["metric"] == metric)
        assert isinstance(row["baseline"], (int, float)), f"no baseline for {metric}"
