"""`python -m benchmarks [--quick] [--json PATH]`: the atlas from 10 thousand to 3 million rows.

For each size N, on synthetic initiatives (atlas.build.synth, labelled `synthetic`):
1. import   a CSV of N rows: `python -m atlas import` (streamed block by block) vs pandas
            reading it whole (benchmarks.importing);
2. server   table load, filter + aggregate latency over realistic filter changes, map server
            time and payload, vs the naive path (benchmarks.server, benchmarks.baseline);
3. browser  page load → map drawn in headless Chromium, filter redraw, server memory, vs a naive
            app (benchmarks.browser, naive app up to 100k rows).
Context (issue 13; the shipped context files are copied beside the synthetic rows, joined by
region code): the NUTS 2 map coloured by youth unemployment and the bivariate map (server time,
payload, browser draw) against today's `per_100k` choropleth of the same layer measured in the
same run (target: ratio ≈ 1.0x), the Need page in the browser against that same choropleth,
and its table on the server against a naive one (benchmarks.baseline.need_table).
The shipped data (9,181 real initiatives) goes through steps 2 and 3 as well.
Every figure is printed beside its baseline with the ratio; `--json` writes them all.
`--quick` (CI smoke test): N = 12,000 only (just above the marker limit, so the browser draws
server-side clusters), no shipped-data pass, one repetition: two to three minutes on 2 shared
cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from atlas import paths
from atlas.build import synth
from atlas.build.context import OUTPUT_FILES as CONTEXT_FILES

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
FULL_SIZES = (10_000, 100_000, 1_000_000, 3_000_000)
QUICK_SIZES = (12_000,)
MAP_BASELINE_MAX = 100_000  # one folium Marker per point: ~80 s and 80 MB at 100k
BROWSER_BASELINE_MAX = 100_000
BASELINE_TIMEOUT_MS = 300_000  # the naive app may never draw: give up after 5 minutes
NOTES: list[str] = []  # printed under the table (what a null baseline means)


def machine() -> str:
    """CPU, cores, memory, OS, Python and Chromium, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal"))
        memory = f"{kib / 1024**2:.0f} GB RAM"
    except (OSError, StopIteration):
        memory = "unknown RAM"
    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True,
                                  text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = "no chromium"
    os_name = platform.platform(terse=True)
    for line in Path("/etc/os-release").read_text().splitlines() if Path(
            "/etc/os-release").exists() else []:
        if line.startswith("PRETTY_NAME="):
            os_name = line.split("=", 1)[1].strip('"')
    return (f"{cpu}, {os.cpu_count()} cores, {memory}, {os_name}, "
            f"Python {platform.python_version()}, {chromium}")


def row(n: int, metric: str, ours, base, unit: str) -> dict:
    return {"n": n, "metric": metric, "ours": ours, "baseline": base, "unit": unit}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_import(n: int, folder: Path) -> tuple[list[dict], Path]:
    """Synthesize a CSV, import it both ways; returns results and the app-ready data dir."""
    from benchmarks import importing

    csv = folder / "initiatives.csv"
    log(f"n={n:,}: writing a synthetic CSV")
    synth.write(synth.generate_table(n, with_codes=False), csv)
    data_dir = folder / "data"
    data_dir.mkdir()
    log(f"n={n:,}: import, python -m atlas import")
    ours = importing.run("importer", csv, data_dir / paths.INITIATIVES_FILE)
    log(f"n={n:,}: import, pandas whole file (baseline)")
    naive = importing.run("naive", csv, folder / "naive.parquet")
    csv.unlink()
    (folder / "naive.parquet").unlink(missing_ok=True)
    for name in CONTEXT_FILES:  # the shipped context, joined to the synthetic rows by code
        for path in (paths.DATA_DIR / name, paths.DATA_DIR / f"{name}.meta.yaml"):
            if path.exists():
                shutil.copy2(path, data_dir / path.name)
    return [
        row(n, "import_s", ours["seconds"], naive["seconds"], "s"),
        row(n, "peak_rss_mb", ours["peak_rss_mb"], naive["peak_rss_mb"], "MB"),
    ], data_dir


def bench_server(n: int, data_dir: Path, repeat: int) -> list[dict]:
    log(f"n={n:,}: load, filters and map on the server")
    cmd = [sys.executable, "-m", "benchmarks.server", str(data_dir), str(n), "--baseline",
           "--repeat", str(repeat)]
    if n <= MAP_BASELINE_MAX:
        cmd.append("--map-baseline")
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.server failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_browser(n: int, data_dir: Path | None, repeat: int) -> list[dict]:
    from benchmarks import browser

    log(f"n={n:,}: browser, our app")
    ours = browser.timings(browser.OURS, data_dir, repeat, with_context=True)
    naive = {"cold_s": None, "draw_s": None, "server_rss_mb": None}
    if n <= BROWSER_BASELINE_MAX:
        log(f"n={n:,}: browser, naive app (baseline)")
        naive = browser.timings(browser.NAIVE, data_dir, max(1, repeat - 2), with_redraw=False,
                                timeout_ms=BASELINE_TIMEOUT_MS)
        if naive["cold_s"] is None:
            NOTES.append(f"n={n:,}: the naive app did not draw its map within "
                         f"{BASELINE_TIMEOUT_MS / 1000:.0f} s (browser baselines are null)")
            log(NOTES[-1])
    return [
        row(n, "browser_draw_s", ours["draw_s"], naive["draw_s"], "s"),
        row(n, "browser_cold_s", ours["cold_s"], naive["cold_s"], "s"),
        row(n, "browser_redraw_s", ours["redraw_s"], None, "s"),
        row(n, "app_rss_mb", ours["server_rss_mb"], naive["server_rss_mb"], "MB"),
        *[row(n, f"browser_{name}_draw_s", ours["pages_s"][name], ours["pages_s"]["choropleth"],
              "s") for name in ("context", "bivariate", "need")],
    ]


def fmt(value, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "bytes":
        return f"{value / 1e6:.2f} MB"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def table(results: list[dict]) -> str:
    """Plain-text table: N, metric, ours, baseline, and how many times better ours is."""
    lines = [f"{'N':>10}  {'metric':<27} {'ours':>11} {'baseline':>11} {'baseline/ours':>13}"]
    for r in results:
        ratio = "-"
        if r["ours"] and r["baseline"]:
            ratio = f"{r['baseline'] / r['ours']:.1f}x"
        label = f"{r['n']:,}" + (" *" if r.get("shipped") else "")
        lines.append(f"{label:>10}  {r['metric']:<27} {fmt(r['ours'], r['unit']):>11} "
                     f"{fmt(r['baseline'], r['unit']):>11} {ratio:>13}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 12,000 only (CI smoke test)")
    parser.add_argument("--sizes", help="comma-separated N (default 10k,100k,1M,3M)")
    parser.add_argument("--json", type=Path, help="write results here (default: "
                        "benchmarks/results/<quick|full>-<date>.json)")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium timings")
    parser.add_argument("--work", type=Path, help="keep generated files in this folder")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(
        QUICK_SIZES if args.quick else FULL_SIZES)
    repeat = 1 if args.quick else 3
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    try:
        if not args.quick:
            shipped_n = pq.ParquetFile(paths.DATA_DIR / paths.INITIATIVES_FILE).metadata.num_rows
            shipped = bench_server(shipped_n, paths.DATA_DIR, repeat)
            if not args.no_browser:
                shipped += bench_browser(shipped_n, None, repeat)
            results += [{**r, "shipped": True} for r in shipped]
        for n in sizes:
            folder = work / f"n{n}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            found, data_dir = bench_import(n, folder)
            found += bench_server(n, data_dir, repeat)
            if not args.no_browser:
                found += bench_browser(n, data_dir, repeat)
            results += found
            if args.work is None:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report = {
        "machine": machine(),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "results": [{k: r[k] for k in ("n", "metric", "ours", "baseline", "unit")}
                    for r in results],
    }
    out = args.json or RESULTS / f"{'quick' if args.quick else 'full'}-{dt.date.today()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"{report['machine']}\n{report['date']}  (* = the shipped data)\n")
    print(table(results))
    notes = [*NOTES, f"no naive map above {MAP_BASELINE_MAX:,} (one Marker per point) and no "
             f"naive app above {BROWSER_BASELINE_MAX:,}: baselines there are null",
             "map_context_*, map_bivariate_*, browser_{context,bivariate,need}_draw_s: the "
             "baseline is our own per_100k choropleth of NUTS 2 in this run (≈1.0x = as fast "
             "as today's map); need_table_ms: the naive need table"]
    print("\n".join(f"note: {n}" for n in notes))
    print(f"\nwritten to {out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
