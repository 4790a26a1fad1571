"""Does the admin dashboard stay smooth with hundreds of moving washers? Measured in a real
headless Chromium against a real server fed by the city simulator.

    .venv/bin/python -m bench.dashboard                               # 300 washers, 30 s window
    .venv/bin/python -m bench.dashboard --washers 100 --window 10     # smaller and shorter
    .venv/bin/python -m bench.dashboard --backend embedded            # SQLite + in-process broker
    .venv/bin/python -m bench.dashboard --pin                         # Chromium on a CPU of its own
    .venv/bin/python -m bench.dashboard --trace 5                     # + where the main thread goes
    .venv/bin/python -m bench.dashboard --no-glide                    # diagnosis: markers jump

It starts, in order: a private redis-server and a fresh PostgreSQL database (or, with
``--backend embedded``, an SQLite file and the in-process broker), ``washline db upgrade`` and
``washline demo``, one ``washline serve`` process, and ``washline simulate`` (``python -m
app.cli simulate``) as a second process. It waits until most simulated washers are online
(``GET /api/admin/kpis`` as the demo admin), opens /dashboard in Debian's Chromium through
Playwright, logs in through the form like a person, lets the page settle, then samples for a
fixed window:

- the page's frame rate (a requestAnimationFrame counter) and its gaps over 25/50/100 ms;
- redraws per second and the time each took (``window.washlineDashboard.renderStats``,
  kept by app/dashboard/static/render-loop.js: only the JavaScript of the redraw);
- long tasks (> 50 ms) and long animation frames (> 50 ms, which include style, layout and
  paint) from PerformanceObservers injected before the page's own scripts;
- the renderer's main-thread time by kind (Chrome DevTools Protocol ``Performance.getMetrics``:
  script, style, layout, all tasks), and the CPU time of the Chromium processes (psutil);
- JS heap used at the start and the end of the window;
- events and washer positions received per second, and washer markers on the map;
- CPU used by the server and the simulator, and by the whole machine.

Prints a markdown summary and writes JSON to bench/results/dashboard-<UTC time>/. Every wait is
bounded; everything started is stopped on exit, also on Ctrl-C or SIGTERM. This is a
measurement, not a test: nothing here passes or fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import LOCALHOST, percentile, raise_nofile
from bench.run import (
    RESULTS,
    ROOT,
    VENV_BIN,
    PrivateRedis,
    Server,
    _create_database,
    _flush_redis,
    _git_state,
    log,
    machine_facts,
    washline_env,
)

CHROMIUM = os.environ.get("WASHLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # performance.memory is rounded to coarse buckets otherwise
    "--enable-precise-memory-info",
]
"""The browser tests' flags (tests/browser/conftest.py), plus precise heap figures."""
ADMIN_EMAIL = "admin@washline.test"  # created by `washline demo`
ADMIN_PASSWORD = "washline-admin"
VIEWPORT = {"width": 1440, "height": 900}

OBSERVERS = """
// Injected before the page's scripts: long tasks and long animation frames, with their
// start times on the page clock, so the benchmark can keep those inside its window.
(() => {
const bench = (window.__washlineBench = { longTasks: [], longFrames: [] });
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
} catch (error) { bench.longTaskError = String(error); }
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // styleAndLayoutStart..end: style, layout and paint of that frame
      const layout = e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0;
      bench.longFrames.push([e.startTime, e.duration, e.blockingDuration || 0, layout]);
    }
  }).observe({ type: 'long-animation-frame', buffered: true });
} catch (error) { bench.longFrameError = String(error); }
// The page's frame rate: the live badge's pulse and the washers' CSS glide already make
// Chromium produce frames continuously, so counting them here adds next to nothing.
// Intervals over 25 ms (at least one 60 Hz frame missed) are kept with their time.
bench.animationFrames = 0;
bench.frameGaps = [];
let last = 0;
const tick = (now) => {
  if (last && now - last > 25) bench.frameGaps.push([now, now - last]);
  last = now;
  bench.animationFrames += 1;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
})();
"""

SAMPLE = """() => {
  const d = window.washlineDashboard;
  const markers = document.querySelectorAll('#map g[data-washer-id]');
  let stale = 0;
  for (const m of markers) if (m.dataset.state === 'stale') stale += 1;
  return {
    now: performance.now(),
    render: d.renderStats,
    events: d.eventsReceived,
    positions: d.positionsReceived,
    heap: performance.memory ? performance.memory.usedJSHeapSize : null,
    markers: markers.length,
    staleMarkers: stale,
    orderMarkers: document.querySelectorAll('#map g[data-order-id]').length,
    connection: d.connection,
    longTasks: window.__washlineBench.longTasks.length,
    longFrames: window.__washlineBench.longFrames.length,
    animationFrames: window.__washlineBench.animationFrames,
  };
}"""

NO_GLIDE = ".map .washer { transition: none !important; }"
"""Diagnosis only (--no-glide): markers jump instead of gliding for 0.9 s after each fix."""
NO_PULSE = ".conn-dot { animation: none !important; }"
"""Diagnosis only (--no-pulse): the live badge's dot stops pulsing (a box-shadow animation,
which Chromium repaints on the main thread at every frame)."""

CDP_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


# ---------------------------------------------------------------- processes


class Simulator:
    """`python -m app.cli simulate` as a child process; SIGINT stops it cleanly."""

    def __init__(self, argv: list[str], log_path: Path) -> None:
        self.argv = argv
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log_file:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile,
            )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cpu(self) -> float:
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)


def _washline(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "washline"), *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"washline {' '.join(argv)} failed: {done.stderr[-800:]}")
    return done.stdout.strip()


def server_env(args: argparse.Namespace, run_dir: Path) -> dict[str, str]:
    """bench.run's server settings (fast password hashing, no login rate limit to speak of,
    long tokens), on PostgreSQL + Redis or on the embedded back-ends."""
    env = washline_env(args)
    if args.backend == "embedded":
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{run_dir / 'washline.db'}"
        env["REDIS_URL"] = ""
    return env


def chromium_cpu() -> dict[str, float]:
    """CPU seconds (user + system) of the Chromium processes under this one, by type."""
    seconds: dict[str, float] = {}
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            cmdline = proc.cmdline()
            if not cmdline or "chrom" not in Path(cmdline[0]).name:
                continue
            kind = next((a.split("=", 1)[1] for a in cmdline if a.startswith("--type=")), "browser")
            times = proc.cpu_times()
            seconds[kind] = seconds.get(kind, 0.0) + times.user + times.system
    return seconds


# ---------------------------------------------------------------- server state


async def admin_kpis(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/admin/kpis")
    if response.status_code == 401:
        await login(client)
        response = await client.get("/api/admin/kpis")
    response.raise_for_status()
    kpis: dict[str, Any] = response.json()
    return kpis


async def login(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


async def wait_for_washers(
    client: httpx.AsyncClient, args: argparse.Namespace, simulator: Simulator
) -> dict[str, Any]:
    """Until `--ready` of the washers are online, or the count stops growing for
    `--plateau` seconds, or `--ready-timeout`; returns what was reached and how fast."""
    wanted = max(1, int(args.washers * args.ready))
    started = time.monotonic()
    best, best_at, online = -1, started, 0
    while True:
        assert simulator.proc is not None
        if simulator.proc.poll() is not None:
            raise RuntimeError(f"the simulator exited with {simulator.proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            online = int((await admin_kpis(client))["washers"]["online"])
        now = time.monotonic()
        if online > best:
            best, best_at = online, now
            log(f"washers online: {online}/{args.washers}")
        if online >= wanted:
            why = "reached"
            break
        if now - best_at > args.plateau:
            why = f"stopped growing for {args.plateau:.0f} s"
            break
        if now - started > args.ready_timeout:
            why = f"timed out after {args.ready_timeout:.0f} s"
            break
        await asyncio.sleep(2.0)
    return {"online": online, "wanted": wanted, "why": why, "seconds": round(now - started, 1)}


# ---------------------------------------------------------------- the page


def _stats(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "mean": round(sum(ordered) / len(ordered), 2) if ordered else None,
        "p50": _round(percentile(ordered, 0.50)),
        "p95": _round(percentile(ordered, 0.95)),
        "max": _round(ordered[-1] if ordered else None),
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def new_durations(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[float], int]:
    """The draw durations of the frames drawn between two samples, from the ring of recent
    ones; and how many of those frames had already left the ring (0 if sampled often)."""
    drawn = after["render"]["frames"] - before["render"]["frames"]
    recent = list(after["render"]["recent"])
    kept = min(drawn, len(recent))
    return (recent[len(recent) - kept :] if kept else []), drawn - kept


async def measure_page(
    page: Any,
    cdp: Any,
    args: argparse.Namespace,
    cpu_of: dict[str, Callable[[], float]],
) -> dict[str, Any]:
    """Sample the signed-in page for `--window` seconds."""

    async def metrics() -> dict[str, float]:
        reply = await cdp.send("Performance.getMetrics")
        return {m["name"]: float(m["value"]) for m in reply["metrics"]}

    psutil.cpu_percent(interval=None)
    cpu_before = {name: read() for name, read in cpu_of.items()}
    browser_before = chromium_cpu()
    metrics_before = await metrics()
    first = previous = await page.evaluate(SAMPLE)
    wall_start = time.monotonic()
    durations: list[float] = []
    missed = 0
    markers: list[int] = [first["markers"]]
    heaps: list[int] = [first["heap"]] if first["heap"] is not None else []
    states = {first["connection"]}
    while time.monotonic() - wall_start < args.window:
        await asyncio.sleep(min(args.sample_every, args.window - (time.monotonic() - wall_start)))
        current = await page.evaluate(SAMPLE)
        fresh, lost = new_durations(previous, current)
        durations.extend(fresh)
        missed += lost
        markers.append(current["markers"])
        if current["heap"] is not None:
            heaps.append(current["heap"])
        states.add(current["connection"])
        previous = current
    last = previous
    metrics_after = await metrics()
    browser_after = chromium_cpu()
    cpu_after = {name: read() for name, read in cpu_of.items()}
    machine_busy = psutil.cpu_percent(interval=None)
    window_ms = last["now"] - first["now"]
    seconds = window_ms / 1000
    observed = await page.evaluate(
        """([start, end]) => {
          const b = window.__washlineBench;
          const inside = (e) => e[0] >= start && e[0] <= end;
          return { longTasks: b.longTasks.filter(inside), longFrames: b.longFrames.filter(inside),
                   frameGaps: b.frameGaps.filter(inside),
                   errors: [b.longTaskError, b.longFrameError].filter(Boolean) };
        }""",
        [first["now"], last["now"]],
    )
    long_tasks = [d for _, d in observed["longTasks"]]
    long_frames = [d for _, d, _, _ in observed["longFrames"]]
    events = last["events"]["total"] - first["events"]["total"]
    by_type = {
        name: round((count - first["events"]["byType"].get(name, 0)) / seconds, 2)
        for name, count in sorted(last["events"]["byType"].items())
    }
    gaps = [gap for _, gap in observed["frameGaps"]]
    animation_frames = last["animationFrames"] - first["animationFrames"]
    frames = last["render"]["frames"] - first["render"]["frames"]
    draw_total = last["render"]["totalMs"] - first["render"]["totalMs"]
    main_thread = {
        name.removesuffix("Duration").lower() + "_ms_per_s": round(
            1000 * (metrics_after.get(name, 0) - metrics_before.get(name, 0)) / seconds, 1
        )
        for name in CDP_METRICS
    }
    chromium = {
        kind: round(100 * (browser_after.get(kind, 0) - browser_before.get(kind, 0)) / seconds, 1)
        for kind in sorted(browser_after)
    }
    return {
        "window_s": round(seconds, 2),
        "samples": len(markers),
        "connection_states": sorted(states),
        "frames": frames,
        "frames_per_s": round(frames / seconds, 2),
        "frames_not_sampled": missed,
        "animation_frames_per_s": round(animation_frames / seconds, 1),
        "frame_gaps": {
            "over_25ms": len(gaps),
            "over_50ms": sum(1 for gap in gaps if gap > 50),
            "over_100ms": sum(1 for gap in gaps if gap > 100),
            "max_ms": _round(max(gaps) if gaps else None, 1),
        },
        "draw_failures": last["render"]["failures"] - first["render"]["failures"],
        "draw_ms": {**_stats(durations), "total_per_s": round(draw_total / seconds, 1)},
        "long_tasks": {
            **_stats(long_tasks),
            "total_ms": round(sum(long_tasks), 1),
        },
        "long_animation_frames": {
            **_stats(long_frames),
            "style_layout_paint_ms": _stats([x for _, _, _, x in observed["longFrames"]]),
            "blocking_ms_total": round(sum(b for _, _, b, _ in observed["longFrames"]), 1),
        },
        "observer_errors": observed["errors"],
        "main_thread": main_thread,
        "chromium_cpu_pct_by_process": chromium,
        "chromium_cpu_pct": round(sum(chromium.values()), 1),
        "js_heap_mib": {
            "start": _mib(heaps[0] if heaps else None),
            "end": _mib(heaps[-1] if heaps else None),
            "max": _mib(max(heaps) if heaps else None),
            "cdp_start": _mib(metrics_before.get("JSHeapUsedSize")),
            "cdp_end": _mib(metrics_after.get("JSHeapUsedSize")),
        },
        "events_per_s": round(events / seconds, 2),
        "events_per_s_by_type": by_type,
        "positions_per_s": round((last["positions"] - first["positions"]) / seconds, 1),
        "washer_markers": {"start": markers[0], "end": markers[-1], "min": min(markers)},
        "stale_markers_end": last["staleMarkers"],
        "order_markers_end": last["orderMarkers"],
        "cpu_pct": {
            name: round(100 * (cpu_after[name] - cpu_before[name]) / seconds, 1) for name in cpu_of
        },
        "machine_cpu_busy_pct": machine_busy,
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def _mib(value: float | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


async def open_dashboard(
    browser: Any, base_url: str, args: argparse.Namespace, errors: list[str]
) -> Any:
    """A new page, signed in through the form; returns once the stream is live, the map
    shows washers and `--settle` seconds have passed. Uncaught page errors go to `errors`."""
    page = await browser.new_page(viewport=VIEWPORT)
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.add_init_script(OBSERVERS)
    await page.goto(f"{base_url}/dashboard")
    await page.fill("#login-email", ADMIN_EMAIL)
    await page.fill("#login-password", ADMIN_PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_function(
        "() => document.querySelector('#connection-state').dataset.state === 'live'",
        timeout=30_000,
    )
    await page.wait_for_function(
        "() => document.querySelectorAll('#map g[data-washer-id]').length > 0", timeout=30_000
    )
    # The click on the login button left the pointer wherever the button was; park it on
    # the header instead, off the map, so every run is alike (Chromium repeats hover hit
    # tests while markers move under a resting pointer).
    await page.mouse.move(5, 5)
    for wanted, rule in ((args.no_glide, NO_GLIDE), (args.no_pulse, NO_PULSE)):
        if wanted:  # through the CSSOM: the page's CSP refuses inline <style>
            await page.evaluate(
                "(rule) => { const sheet = document.styleSheets[0];"
                " sheet.insertRule(rule, sheet.cssRules.length); }",
                rule,
            )
    await asyncio.sleep(args.settle)
    return page


TRACE_CATEGORIES = [
    "toplevel",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink",
    "cc",
    "v8",
]


async def trace_main_thread(
    browser: Any, page: Any, seconds: float, run_dir: Path
) -> dict[str, Any]:
    """Diagnosis (--trace): a Chromium trace of a few seconds, and where the renderer's
    main thread spent them: trace events by name, inclusive wall time (nested events are
    counted in their parents too), per second. The trace file is kept for chrome://tracing."""
    path = run_dir / "trace.json"
    await browser.start_tracing(page=page, path=str(path), categories=TRACE_CATEGORIES)
    await asyncio.sleep(seconds)
    await browser.stop_tracing()
    events = json.loads(path.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e.get("args", {}).get("name") == "CrRendererMain"
    }
    totals: dict[str, float] = {}
    for e in events:
        if e.get("ph") == "X" and (e.get("pid"), e.get("tid")) in main:
            totals[e["name"]] = totals.get(e["name"], 0.0) + e.get("dur", 0) / 1000
    top = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:20]
    return {
        "seconds": seconds,
        "file": str(path.relative_to(ROOT)),
        "main_thread_ms_per_s": {name: round(ms / seconds, 1) for name, ms in top},
    }


async def close_quietly(browser: Any) -> None:
    """On Ctrl-C the terminal's SIGINT reaches Chromium too; it may be gone already."""
    with contextlib.suppress(Exception):
        await browser.close()


# ---------------------------------------------------------------- main


async def run(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    cpus = sorted(os.sched_getaffinity(0))
    if args.pin:
        if len(cpus) < 2:
            raise SystemExit("--pin needs at least two CPUs")
        # Children inherit their parent's affinity: the servers and the simulator get the
        # first CPU, then (below) the browser gets the others.
        os.sched_setaffinity(0, cpus[:1])
    cleanup = contextlib.AsyncExitStack()
    async with cleanup:
        if args.backend == "postgres" and not args.redis_url:
            private = PrivateRedis(run_dir)
            private.start()
            cleanup.callback(private.stop)
            args.redis_url = private.url
        env = server_env(args, run_dir)
        log(f"preparing the database ({env['DATABASE_URL']})")
        if args.backend == "postgres":
            await _create_database(args.database)
            await _flush_redis(args.redis_url)
        await asyncio.to_thread(_washline, env, "db", "upgrade")
        log(await asyncio.to_thread(_washline, env, "demo"))

        server = Server(
            "washline", [str(VENV_BIN / "washline"), "serve"], env, run_dir / "server.log"
        )
        cleanup.push_async_callback(asyncio.to_thread, server.stop)
        await asyncio.to_thread(server.start)
        base_url = f"http://{LOCALHOST}:{server.port}"
        log(f"server on {base_url} (pid {server.pid})")

        sim_argv = [
            sys.executable,
            "-m",
            "app.cli",
            "simulate",
            "--base-url",
            base_url,
            "--washers",
            str(args.washers),
            "--customers",
            str(args.customers),
            "--orders-per-minute",
            str(args.orders_per_minute),
            "--seed",
            str(args.seed),
            "--wash-seconds",
            str(args.wash_seconds),
            "--admin-email",
            ADMIN_EMAIL,
            "--admin-password",
            ADMIN_PASSWORD,
        ]
        simulator = Simulator(sim_argv, run_dir / "simulator.log")
        simulator.start()
        cleanup.push_async_callback(asyncio.to_thread, simulator.stop)
        log(f"simulator started: {args.washers} washers, {args.customers} customers")

        async with httpx.AsyncClient(base_url=base_url, timeout=15) as client:
            await login(client)
            ramp = await wait_for_washers(client, args, simulator)
            log(f"washers online: {ramp['online']} ({ramp['why']} after {ramp['seconds']} s)")

            if args.pin:
                os.sched_setaffinity(0, cpus[1:])
            playwright = await cleanup.enter_async_context(async_playwright())
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            cleanup.push_async_callback(close_quietly, browser)
            page_errors: list[str] = []
            page = await open_dashboard(browser, base_url, args, page_errors)
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("Performance.enable")
            log(f"dashboard live; sampling for {args.window:.0f} s")
            kpis_before = await admin_kpis(client)
            assert simulator.proc is not None
            cpu_of = {"server": server.cpu, "simulator": simulator.cpu}
            page_figures = await measure_page(page, cdp, args, cpu_of)
            kpis_after = await admin_kpis(client)
            await page.screenshot(path=str(run_dir / "dashboard.png"))
            trace = None
            if args.trace:  # after the window, so tracing does not weigh on the figures
                trace = await trace_main_thread(browser, page, args.trace, run_dir)
        return {
            "ramp": ramp,
            "washers_online": {
                "start": kpis_before["washers"]["online"],
                "end": kpis_after["washers"]["online"],
                "busy_end": kpis_after["washers"]["busy"],
            },
            "active_orders_end": kpis_after.get("active_orders"),
            "page_errors": page_errors[:10],
            **page_figures,
            **({"trace": trace} if trace else {}),
        }


def markdown(page: dict[str, Any]) -> str:
    draw = page["draw_ms"]
    lt = page["long_tasks"]
    laf = page["long_animation_frames"]
    heap = page["js_heap_mib"]
    mt = page["main_thread"]
    rows = [
        (
            "washers online (start / end of window)",
            f"{page['washers_online']['start']} / {page['washers_online']['end']} "
            f"(busy {page['washers_online']['busy_end']})",
        ),
        (
            "washer markers on the map (start / end / min)",
            f"{page['washer_markers']['start']} / {page['washer_markers']['end']} / "
            f"{page['washer_markers']['min']} ({page['stale_markers_end']} stale at the end)",
        ),
        ("events received per second", f"{page['events_per_s']} {page['events_per_s_by_type']}"),
        ("washer positions received per second", f"{page['positions_per_s']}"),
        ("frames drawn per second (cap 4)", f"{page['frames_per_s']} ({page['frames']} frames)"),
        (
            "page animation frames per second (rAF; 60 = every frame)",
            f"{page['animation_frames_per_s']} (gaps > 25 / 50 / 100 ms: "
            f"{page['frame_gaps']['over_25ms']} / {page['frame_gaps']['over_50ms']} / "
            f"{page['frame_gaps']['over_100ms']}, longest {page['frame_gaps']['max_ms']} ms)",
        ),
        (
            "draw time ms: mean / p50 / p95 / max",
            f"{draw['mean']} / {draw['p50']} / {draw['p95']} / {draw['max']}",
        ),
        ("draw time per second of wall clock", f"{draw['total_per_s']} ms"),
        (
            "long tasks > 50 ms: count / total / max",
            f"{lt['count']} / {lt['total_ms']} ms / {lt['max']} ms",
        ),
        (
            "long animation frames > 50 ms: count / p95 / max",
            f"{laf['count']} / {laf['p95']} ms / {laf['max']} ms",
        ),
        (
            "renderer main thread per second: tasks / script / style / layout",
            f"{mt['task_ms_per_s']} / {mt['script_ms_per_s']} / {mt['recalcstyle_ms_per_s']} / "
            f"{mt['layout_ms_per_s']} ms",
        ),
        (
            "Chromium CPU (all processes, % of one core)",
            f"{page['chromium_cpu_pct']} {page['chromium_cpu_pct_by_process']}",
        ),
        ("JS heap used MiB: start / end / max", f"{heap['start']} / {heap['end']} / {heap['max']}"),
        (
            "server / simulator CPU (% of one core)",
            f"{page['cpu_pct']['server']} / {page['cpu_pct']['simulator']}",
        ),
        (
            "machine CPU busy (all cores) / load average 1 min",
            f"{page['machine_cpu_busy_pct']} % / {page['loadavg_1m']}",
        ),
    ]
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--washers", type=int, default=300)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--orders-per-minute", type=float, default=60)
    parser.add_argument("--wash-seconds", type=float, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=30, help="seconds sampled")
    parser.add_argument(
        "--settle", type=float, default=10, help="seconds between sign-in and the window"
    )
    parser.add_argument("--sample-every", type=float, default=2, help="seconds between samples")
    parser.add_argument(
        "--ready", type=float, default=0.95, help="share of washers online before measuring"
    )
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument(
        "--plateau",
        type=float,
        default=45,
        help="measure anyway once the washers online stop growing for this long",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="server, simulator and Redis on the first CPU, Chromium on the others "
        "(PostgreSQL and anything else running are not pinned)",
    )
    parser.add_argument(
        "--no-glide",
        action="store_true",
        help="diagnosis: turn off the washers' CSS glide in the measured page (not the "
        "shipped behaviour), to see what it costs",
    )
    parser.add_argument(
        "--no-pulse",
        action="store_true",
        help="diagnosis: stop the live badge's pulse animation in the measured page",
    )
    parser.add_argument(
        "--trace",
        type=float,
        default=0,
        metavar="SECONDS",
        help="diagnosis: after the window, trace Chromium this long and list where the "
        "renderer's main thread spent its time",
    )
    parser.add_argument("--backend", choices=["postgres", "embedded"], default="postgres")
    parser.add_argument("--database", default="washline_bench_dashboard")
    parser.add_argument(
        "--redis-url", default="", help="use this Redis (flushed) instead of a private one"
    )
    args = parser.parse_args()
    raise_nofile()
    run_dir = RESULTS / ("dashboard-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    run_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = asyncio.run(run(args, run_dir))
    except Exception:
        if not INTERRUPTED:
            raise
        # The terminal's Ctrl-C also reached Chromium and Playwright's driver, so the
        # interrupted run may end on "browser closed" rather than on KeyboardInterrupt.
        log("interrupted; everything started was stopped")
        raise SystemExit(130) from None
    except KeyboardInterrupt:
        log("interrupted; everything started was stopped")
        raise SystemExit(130) from None
    summary = {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "command": " ".join([Path(sys.executable).name, "-m", "bench.dashboard", *sys.argv[1:]]),
        "machine": {
            **machine_facts(
                "server, simulator, Chromium (and Redis, PostgreSQL) share these cores"
            ),
            "chromium": _chromium_version(),
        },
        "git": _git_state(),
        "options": vars(args),
        "result": result,
    }
    out = run_dir / "dashboard.json"
    out.write_text(json.dumps(summary, indent=2))
    shutil.copyfile(out, RESULTS / "dashboard-latest.json")
    print(json.dumps(result, indent=2))
    print()
    print(markdown(result))
    print(f"\nresults: {out.relative_to(ROOT)}")


INTERRUPTED = False


def _interrupt(signum: int, frame: Any) -> None:
    """Ctrl-C and SIGTERM: KeyboardInterrupt unwinds the run, whose exit stack stops the
    browser, the simulator, the server and Redis, newest first."""
    global INTERRUPTED
    INTERRUPTED = True
    raise KeyboardInterrupt


def _chromium_version() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
        return done.stdout.strip()
    return ""


if __name__ == "__main__":
    main()
