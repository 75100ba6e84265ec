"""Fuzzing drill: the schemathesis fuzz tests (tests/api/test_fuzz_rest.py against the OpenAPI
document /v2/schema, tests/api/test_fuzz_graphql.py against the GraphQL schema) with thousands of
cases each, then the figures: cases per schema and per test, answers by status class, 5xx, error
codes answered, failures (docs/reliability.md, "Fuzzing").

    DEBUG=1 .venv/bin/python bench/fuzz.py [--examples 1000] [--only rest|graphql]

`--examples` is the number of cases of each test (REST: 4 operations × valid/invalid; GraphQL:
queries and mutations × valid/invalid), so the default gives ~8,000 REST cases and ~4,000 GraphQL
ones. It runs pytest in a subprocess on its own SQLite file (var/fuzz.sqlite3, tasks eager, local
storage), in keep-going mode: a failing case is recorded and the run goes on, so that one run lists
every kind of failure (with up to 5 examples each and a reproduction). Derandomized: the same
--examples gives the same cases. Exit status 1 if any answer was a 5xx or any check failed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = {"rest": "tests/api/test_fuzz_rest.py", "graphql": "tests/api/test_fuzz_graphql.py"}
CLASSES = ("2xx", "3xx", "4xx", "5xx")


def run(examples: int, only: list[str], database: str) -> tuple[list[dict], int, float]:
    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as report:
        path = report.name
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{database}", "CELERY_BROKER_URL": "",
           "STORAGE_BACKEND": "local", "FUZZ_EXAMPLES": str(examples), "FUZZ_KEEP_GOING": "1",
           "FUZZ_REPORT": path, "LOG_LEVEL": "ERROR"}
    command = [sys.executable, "-m", "pytest", "-m", "not integration", "-q", "-p", "no:cacheprovider",
               "--no-header", "-rN", *(FILES[name] for name in only)]
    started = time.monotonic()
    completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    try:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    finally:
        Path(path).unlink(missing_ok=True)
    if completed.returncode not in (0, 1) or len(rows) < 4 * len(only):
        print(completed.stdout[-4000:], completed.stderr[-4000:], sep="\n")
    return rows, completed.returncode, elapsed


def short(test: str) -> str:
    return test.split("[", 1)[1].rstrip("]") if "[" in test else test


def print_figures(rows: list[dict], elapsed: float) -> bool:
    """Print the tables; True when there was no 5xx and no failure."""
    clean = True
    for schema in dict.fromkeys(row["schema"] for row in rows):
        mine = [row for row in rows if row["schema"] == schema]
        print(f"\n== {schema} ==")
        print(f"{'test':<40} {'cases':>7} " + " ".join(f"{c:>6}" for c in CLASSES) + f" {'failures':>9}")
        totals: Counter[str] = Counter()
        codes: Counter[str] = Counter()
        failures = 0
        for row in mine:
            count = sum(row["failures"].values())
            failures += count
            totals["cases"] += row["cases"]
            totals.update(row["statuses"])
            codes.update(row.get("codes", {}))
            print(f"{short(row['test']):<40} {row['cases']:>7} "
                  + " ".join(f"{row['statuses'].get(c, 0):>6}" for c in CLASSES) + f" {count:>9}"
                  + (f"  (stopped: {row['error'][:80]})" if row.get("error") else ""))
        print(f"{'total':<40} {totals['cases']:>7} " + " ".join(f"{totals.get(c, 0):>6}" for c in CLASSES)
              + f" {failures:>9}")
        print("error codes answered: " + ", ".join(f"{code} {n}" for code, n in codes.most_common()))
        for row in mine:
            for kind, count in row["failures"].items():
                print(f"\n  FAILURE {count} × {kind}\n    " + row["examples"][kind][0][:1500].replace("\n", "\n    "))
        clean = clean and failures == 0 and totals.get("5xx", 0) == 0 and not any(row.get("error") for row in mine)
    print(f"\nwall time {elapsed:.0f} s")
    return clean


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="cases of each test (default 1000)")
    parser.add_argument("--only", choices=sorted(FILES), action="append", help="one schema only (repeatable)")
    parser.add_argument("--database", default=str(REPO / "var" / "fuzz.sqlite3"), help="SQLite file of the run")
    args = parser.parse_args()
    only = args.only or list(FILES)
    Path(args.database).parent.mkdir(parents=True, exist_ok=True)
    print(f"fuzzing {', '.join(only)} with {args.examples} cases per test …", flush=True)
    rows, returncode, elapsed = run(args.examples, only, args.database)
    if not rows:
        print("no report: pytest did not run the fuzz tests")
        return 1
    clean = print_figures(rows, elapsed)
    print("PASS: no 5xx, no failed check" if clean and returncode == 0 else "FAIL")
    return 0 if clean and returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
