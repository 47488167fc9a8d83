"""Step 6: load. wrk against each plain GET endpoint (or a scenario), plus wrk against a
trivial server in the same run, so a p95 can be told apart from the generator's own.

wrk reports through a Lua `done()` hook that prints one JSON line; a `response()` hook
caps the request count. Without wrk, an asyncio/httpx generator stands in (much weaker:
the report names the generator used).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import yaml
from pydantic import BaseModel, Field, ValidationError

from bdev.backend.audit.procs import LOOPBACK, free_port, stop_group, tail, wait_for_port
from bdev.backend.audit.results import StepResult, StepStatus
from bdev.backend.audit.traffic import describe_statuses
from bdev.backend.facts import BackendFacts
from bdev.errors import BdevError

MAX_TARGETS = 10  # endpoints loaded per audit: the run's wall time is targets x duration
CEILING_MAX_S = 3.0
# A run is "generator-bound" when the service is about as fast as the trivial server:
# then its p95 says more about wrk and the machine than about the service.
GENERATOR_BOUND_LATENCY = 1.5  # p95 within 1.5x the ceiling's p95
GENERATOR_BOUND_RPS = 0.9  # or throughput at 90% of the ceiling's


class Target(BaseModel):
    """One request to repeat; a scenario file is a list of these under `requests`."""

    method: str = "GET"
    path: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


class Scenario(BaseModel):
    requests: list[Target] = Field(min_length=1)


class LoadRun(BaseModel):
    """What one generator run measured; latencies in milliseconds."""

    target: str
    requests: int
    duration_s: float
    rps: float
    non_2xx_3xx: int
    socket_errors: int
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None = None
    bound_by: str | None = None  # "service" | "generator"; None for the ceiling itself
    # What the traffic reached: HTTP status -> responses ("200": 950, "500": 50).
    status_counts: dict[str, int] = Field(default_factory=dict)
    # The responses the percentiles were taken over, e.g. "100% 2xx/3xx" or "100% 404".
    measured_on: str = ""
    # Most responses were 4xx/5xx: the percentiles time error pages, not the endpoint's
    # work, so they are reported but never pass a latency target.
    mostly_errors: bool = False

    @property
    def reached(self) -> str:
        """The status counts as a reader wants them: "200×950, 500×50"."""
        return describe_statuses(self.status_counts, self.socket_errors)


def _error_codes(counts: dict[str, int]) -> dict[str, int]:
    # HTTP codes ("404") or, from a generator that only counted classes, "4xx/5xx".
    return {code: n for code, n in counts.items() if code[:1] in ("4", "5")}


def measured_on(counts: dict[str, int]) -> tuple[str, bool]:
    """What percentiles over these responses time, and whether most were errors."""
    total = sum(counts.values())
    if not total:
        return "no response", True
    errors = _error_codes(counts)
    share = sum(errors.values()) / total
    ok = f"{100 * (1 - share):.0f}% 2xx/3xx"
    if not errors:
        return ok, False
    detail = (
        f"{100 * share:.0f}% {next(iter(errors))}"
        if len(errors) == 1
        else f"{100 * share:.0f}% 4xx/5xx ({describe_statuses(errors)})"
    )
    return (detail if share > 0.5 else f"{ok}, {detail}"), share > 0.5


def load_scenario(path: Path) -> list[Target]:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise BdevError(f"{path}: cannot read scenario: {e}") from e
    try:
        return Scenario.model_validate(raw).requests
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BdevError(f"{path}: scenario field {where or '(top)'}: {first['msg']}") from e


def default_targets(facts: BackendFacts) -> tuple[list[Target], list[str]]:
    """GET endpoints without path parameters or auth (a 401 measures nothing), falling
    back to the health endpoints, then "/". Also returns what was left out and why."""
    skipped: list[str] = []
    paths: list[str] = []
    for ep in facts.endpoints:
        if ep.method.upper() != "GET":
            continue
        label = f"GET {ep.path}"
        if "{" in ep.path or "<" in ep.path:
            skipped.append(f"{label}: path parameters")
        elif ep.auth_required:
            skipped.append(f"{label}: needs authentication")
        elif ep.path not in paths:
            paths.append(ep.path)
    paths = paths or list(facts.health_endpoints) or ["/"]
    skipped += [f"GET {p}: over the limit of {MAX_TARGETS} endpoints" for p in paths[MAX_TARGETS:]]
    return [Target(path=p) for p in paths[:MAX_TARGETS]], skipped


def generator_name() -> str:
    return "wrk" if shutil.which("wrk") else "httpx"


def measure(
    generator: str,
    base_url: str,
    target: Target,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    workdir: Path,
) -> LoadRun:
    if not base_url.startswith(f"http://{LOOPBACK}:"):
        raise BdevError(f"load runs only against loopback ({LOOPBACK}), not {base_url}")
    if generator == "wrk":
        return _wrk(base_url, target, concurrency, duration_s, max_requests, workdir)
    return asyncio.run(_httpx(base_url, target, concurrency, duration_s, max_requests))


def measure_ceiling(generator: str, concurrency: int, duration_s: float, workdir: Path) -> LoadRun:
    """The same generator against the trivial server: the best p95 this setup can show."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bdev.backend.audit.ceiling_server", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        if not wait_for_port(port, 10):
            raise RuntimeError("the trivial reference server did not start")
        return measure(
            generator, f"http://{LOOPBACK}:{port}", Target(path="/"),
            concurrency=concurrency, duration_s=min(duration_s, CEILING_MAX_S),
            max_requests=10**7, workdir=workdir,
        )  # fmt: skip
    finally:
        stop_group(proc, grace_s=2.0)


def bound_note(bound: str | None) -> str:
    return f", {bound}-bound" if bound else ""


def bound_by(run: LoadRun, ceiling: LoadRun | None) -> str | None:
    if ceiling is None or run.p95_ms is None or ceiling.p95_ms is None:
        return None
    near_latency = run.p95_ms <= GENERATOR_BOUND_LATENCY * ceiling.p95_ms
    near_rps = run.rps >= GENERATOR_BOUND_RPS * ceiling.rps
    return "generator" if near_latency or near_rps else "service"


def run_load(
    base_url: str,
    facts: BackendFacts,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    workdir: Path,
    scenario: Path | None = None,
) -> StepResult:
    start = time.monotonic()
    generator = generator_name()
    not_loaded: list[str]
    if scenario is not None:
        targets, not_loaded = load_scenario(scenario), []
    else:
        targets, not_loaded = default_targets(facts)
    problems: list[str] = []
    try:
        ceiling: LoadRun | None = measure_ceiling(generator, concurrency, duration_s, workdir)
    except RuntimeError as e:  # the service's figures stand on their own, just unqualified
        ceiling = None
        problems.append(f"generator ceiling: {e}")
    runs: list[LoadRun] = []
    for target in targets:
        try:
            run = measure(
                generator, base_url, target, concurrency=concurrency, duration_s=duration_s,
                max_requests=max_requests, workdir=workdir,
            )  # fmt: skip
        except RuntimeError as e:
            problems.append(f"{target.label}: {e}")
            continue
        run.bound_by = bound_by(run, ceiling)
        runs.append(run)

    measured = [r for r in runs if r.p95_ms is not None]
    judged = [r for r in measured if not r.mostly_errors]
    worst = max(judged, key=lambda r: r.p95_ms or 0.0, default=None)
    attempts = sum(r.requests + r.socket_errors for r in runs)
    errors = sum(r.non_2xx_3xx + r.socket_errors for r in runs)
    error_rate = errors / attempts if attempts else None
    unjudged = [latency_not_checked(r) for r in measured if r.mostly_errors]
    data = {
        "generator": generator,
        "concurrency": concurrency,
        "duration_s": duration_s,
        "ceiling": ceiling.model_dump() if ceiling else None,
        "endpoints": [r.model_dump() for r in runs],
        "worst": worst.target if worst else None,
        "error_rate": error_rate,
        "not_loaded": not_loaded,
        "problems": problems,
        "reached": {r.target: r.reached for r in runs},
        "latency_not_checked": unjudged,
    }
    reached = "; reached: " + "; ".join(f"{r.target} {r.reached}" for r in runs)
    status: StepStatus
    if not measured:
        status = "error"
        summary = f"{generator} completed no request" + "".join(f"; {p}" for p in problems)
    elif worst is None:  # every endpoint answered mostly with errors
        status = "failed"
        summary = (
            f"{generator}, {len(runs)} endpoint(s): latency not checked, most responses were"
            f" errors ({'; '.join(unjudged)}); error rate {100 * (error_rate or 0):.2f}%" + reached
        )
    else:
        status = "ok"
        summary = (
            f"{generator}, {len(runs)} endpoint(s) x {duration_s:g} s at {concurrency} connections:"
            f" worst p95 {worst.p95_ms:.1f} ms ({worst.target}{bound_note(worst.bound_by)},"
            f" measured on {worst.measured_on}), error rate {100 * (error_rate or 0):.2f}%;"
            + (
                f" generator ceiling p95 {ceiling.p95_ms or 0:.1f} ms at {ceiling.rps:.0f} req/s"
                if ceiling
                else " no generator ceiling"
            )
            + (f"; latency not checked for {'; '.join(unjudged)}" if unjudged else "")
            + reached
        )
    return StepResult(
        name="load", status=status, duration_s=time.monotonic() - start, summary=summary, data=data
    )


def latency_not_checked(run: LoadRun) -> str:
    """Why an endpoint's percentiles judge nothing: "GET /x: p95 2.1 ms measured on 100% 404"."""
    return f"{run.target}: p95 {run.p95_ms or 0:.1f} ms measured on {run.measured_on}"


# --- wrk ----------------------------------------------------------------------------------

_LUA = """
wrk.method = {method}
wrk.body = {body}
{headers}
local cap = {cap}
local count = 0
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

-- Per-thread status counts (a global, so done() can read it with thread:get).
statuses = {{}}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  count = count + 1
  if count >= cap then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  local merged = {{}}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses") or {{}}) do merged[code] = (merged[code] or 0) + n end
  end
  local parts = {{}}
  for code, n in pairs(merged) do table.insert(parts, string.format('"%d":%d', code, n)) end
  io.write(string.format(
    '\\nBDEV_RESULT {{"requests":%d,"duration_us":%d,"non_2xx_3xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"statuses":{{%s}}}}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
"""


def _lua_str(value: str | None) -> str:
    if value is None:
        return "nil"
    if "]==]" in value:
        raise BdevError(f"scenario value cannot contain ']==]': {value[:60]!r}")
    return f"[==[{value}]==]"


def _wrk(
    base_url: str, target: Target, concurrency: int, duration_s: float, max_requests: int,
    workdir: Path,
) -> LoadRun:  # fmt: skip
    threads = max(1, min(concurrency, os.cpu_count() or 1))
    script = workdir / "wrk.lua"
    script.write_text(
        _LUA.format(
            method=_lua_str(target.method.upper()),
            body=_lua_str(target.body),
            headers="\n".join(
                f"wrk.headers[{_lua_str(k)}] = {_lua_str(v)}" for k, v in target.headers.items()
            ),
            cap=math.ceil(max_requests / threads),
        )
    )
    # wrk takes whole seconds; shorter requests still run for one.
    argv = [
        "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(duration_s))}s",
        "--timeout", "5s", "-s", str(script), base_url + target.path,
    ]  # fmt: skip
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 30)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"wrk did not finish within {duration_s + 30:g} s") from e
    line = next((x for x in run.stdout.splitlines() if x.startswith("BDEV_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {tail(run.stderr or run.stdout, 5)}")
    raw = json.loads(line.removeprefix("BDEV_RESULT "))
    return _load_run(
        target.label,
        requests=raw["requests"],
        duration_s=raw["duration_us"] / 1e6,
        non_ok=raw["non_2xx_3xx"],
        socket_errors=raw["socket_errors"],
        percentiles_ms=[raw[k] / 1000 for k in ("p50_us", "p95_us", "p99_us", "max_us")],
        statuses=raw.get("statuses") or {},
    )


def _load_run(
    label: str, *, requests: int, duration_s: float, non_ok: int, socket_errors: int,
    percentiles_ms: list[float], statuses: dict[str, int],
) -> LoadRun:  # fmt: skip
    attempts = requests + socket_errors
    p50, p95, p99, pmax = percentiles_ms if requests else [None] * 4
    if not statuses and requests:  # a generator that counted no codes: the classes it did count
        statuses = {k: v for k, v in (("2xx/3xx", requests - non_ok), ("4xx/5xx", non_ok)) if v}
    on, mostly_errors = measured_on(statuses)
    return LoadRun(
        target=label,
        requests=requests,
        duration_s=round(duration_s, 3),
        rps=round(requests / duration_s, 1) if duration_s else 0.0,
        non_2xx_3xx=non_ok,
        socket_errors=socket_errors,
        error_rate=(non_ok + socket_errors) / attempts if attempts else 0.0,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=pmax,
        status_counts=dict(sorted(statuses.items())),
        measured_on=on,
        mostly_errors=mostly_errors,
    )


# --- fallback: asyncio + httpx ------------------------------------------------------------


async def _httpx(
    base_url: str, target: Target, concurrency: int, duration_s: float, max_requests: int
) -> LoadRun:
    latencies: list[float] = []
    counts = {"sent": 0, "non_ok": 0, "socket": 0}
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    start = time.perf_counter()
    deadline = start + duration_s

    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=5.0, trust_env=False
    ) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline and counts["sent"] < max_requests:
                counts["sent"] += 1
                t0 = time.perf_counter()
                try:
                    response = await client.request(
                        target.method, target.path, headers=target.headers, content=target.body
                    )
                except httpx.HTTPError:
                    counts["socket"] += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                counts["non_ok"] += response.status_code >= 400
                statuses[str(response.status_code)] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()
    return _load_run(
        target.label,
        requests=len(latencies),
        duration_s=time.perf_counter() - start,
        non_ok=counts["non_ok"],
        socket_errors=counts["socket"],
        percentiles_ms=[1000 * _nearest_rank(latencies, q) for q in (50, 95, 99, 100)],
        statuses=dict(statuses),
    )


def _nearest_rank(ordered: list[float], q: float) -> float:
    # Nearest-rank percentile, the definition wrk's HdrHistogram reports too.
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
