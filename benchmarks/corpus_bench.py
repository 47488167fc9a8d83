"""`bdev new --no-model` over a corpus of public OpenAPI documents: build, refuse or crash?

    python benchmarks/corpus_bench.py [--corpus DIR] [--framework fastapi|flask]
                                      [--single-file] [--jobs N] [--json out.json]

Each YAML document under the corpus (default: ../shared/openapi-corpus beside the
project) goes through the same Python API as `bdev new --spec X --no-model`
(load_spec -> build_plan -> generate). Outcomes:

- built: files written, and the service imports and answers GET /openapi.json with 200
  through its framework's test client (in a fresh interpreter);
- refused: a BdevError, one clear message (the message is shown);
- broken: files written, but the service does not import or serve its document;
- traceback: any other exception while generating.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "openapi-corpus"

# Run inside the generated service's directory: import it, fetch its document.
_CHECK = """
import sys
sys.path.insert(0, ".")
from {module} import app
if {fastapi}:
    from fastapi.testclient import TestClient
    status = TestClient(app, raise_server_exceptions=False).get("/openapi.json").status_code
else:
    status = app.test_client().get("/openapi.json").status_code
assert status == 200, f"GET /openapi.json answered {{status}}"
"""


@dataclass
class Outcome:
    spec: str
    result: str  # built | refused | broken | traceback
    detail: str = ""
    operations: int = 0


def documents(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml"))


def run_one(path: Path, corpus: Path, framework: str, single_file: bool) -> Outcome:
    # Imported here so each worker process pays for it once, not the parent.
    from bdev.errors import BdevError
    from bdev.specfirst import Options, build_plan, generate, load_spec

    name = str(path.relative_to(corpus))
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        out = Path(tmp) / "service"
        try:
            plan = build_plan(load_spec(path), name)
            options = Options(framework=framework, single_file=single_file)  # type: ignore[arg-type]
            generate(plan, options, out)
        except BdevError as e:
            return Outcome(name, "refused", str(e))
        except Exception:
            lines = traceback.format_exc().strip().splitlines()
            return Outcome(name, "traceback", lines[-1])
        problem = check_service(out, framework, single_file)
        if problem:
            return Outcome(name, "broken", problem, len(plan.operations))
        return Outcome(name, "built", "", len(plan.operations))


def check_service(out: Path, framework: str, single_file: bool) -> str | None:
    """None when the generated service imports and serves /openapi.json, else why not."""
    code = _CHECK.format(
        module="app" if single_file else "app.main", fastapi=framework == "fastapi"
    )
    env = {
        **os.environ,
        "APP_SECRET_KEY": "corpus-bench-secret-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{out / 'bench.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def run_corpus(
    corpus: Path, framework: str = "fastapi", single_file: bool = False, jobs: int = 2
) -> list[Outcome]:
    paths = documents(corpus)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, p, corpus, framework, single_file) for p in paths]
        return [f.result() for f in futures]


def table(outcomes: list[Outcome]) -> str:
    rows = ["| document | result | operations | detail |", "|---|---|---|---|"]
    for o in outcomes:
        detail = o.detail.replace("|", "\\|")
        rows.append(f"| {o.spec} | {o.result} | {o.operations or ''} | {detail} |")
    return "\n".join(rows)


def totals(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"built": 0, "refused": 0, "broken": 0, "traceback": 0}
    for o in outcomes:
        counts[o.result] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--framework", choices=("fastapi", "flask"), default="fastapi")
    parser.add_argument("--single-file", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the outcomes here")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    outcomes = run_corpus(args.corpus, args.framework, args.single_file, args.jobs)
    print(table(outcomes))
    counts = totals(outcomes)
    layout = "single file" if args.single_file else "package"
    print(
        f"\n{args.framework} ({layout}), {len(outcomes)} documents: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n")
    return 1 if counts["traceback"] else 0


if __name__ == "__main__":
    sys.exit(main())
