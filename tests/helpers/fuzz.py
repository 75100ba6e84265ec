"""What the schemathesis fuzz tests (tests/api/test_fuzz_rest.py, test_fuzz_graphql.py) share:
the number of cases, the Hypothesis settings and the tally of answers that bench/fuzz.py prints.

Environment:
- FUZZ_EXAMPLES: cases per test (default 100, the unit suite's size); bench/fuzz.py sets 1,000+.
- FUZZ_KEEP_GOING=1: record each failure and go on to the next case (the test still fails at its
  end, listing them) instead of stopping at the first one and shrinking it. For the drill.
- FUZZ_REPORT=path: append one JSON line per test (schema, test, cases, statuses, failures).
"""
from __future__ import annotations

import json
import os
from collections import Counter
from contextlib import contextmanager
from typing import Self

import pytest
from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
KEEP_GOING = os.environ.get("FUZZ_KEEP_GOING", "") == "1"
REPORT = os.environ.get("FUZZ_REPORT")

# Derandomized: CI runs the same cases each time; no example database, nothing written to disk.
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


class Tally:
    """Cases sent, answers by status class, and the failures (at most 5 kept per kind).
    `with Tally("rest", request.node.name) as tally:` around a test's run."""

    def __init__(self, schema: str, test: str):
        self.schema, self.test = schema, test
        self.cases = 0
        self.statuses: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()  # error codes answered (REST 4xx bodies, GraphQL errors)
        self.failures: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def record(self, status: int, codes=()) -> None:
        self.cases += 1
        self.statuses[f"{status // 100}xx"] += 1
        self.codes.update(code for code in codes if code)

    @contextmanager
    def checking(self, label: str, reproduce):
        """Run the checks of one answer; in keep-going mode a failure is recorded, not raised.
        `reproduce()` describes the request (only called on a failure)."""
        try:
            yield
        except (Exception, BaseExceptionGroup) as exc:
            if not KEEP_GOING:
                raise
            first_line = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            kind = f"{label}: {first_line[:160]}"
            self.failures[kind] += 1
            examples = self.examples.setdefault(kind, [])
            if len(examples) < 5:
                examples.append(f"{exc}\n{reproduce()}"[:3000])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if REPORT:
            with open(REPORT, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"schema": self.schema, "test": self.test, "cases": self.cases,
                                         "statuses": dict(self.statuses), "codes": dict(self.codes), "failures": dict(self.failures),
                                         "examples": self.examples, "error": repr(exc) if exc else None}) + "\n")
        if exc is None and self.failures:
            listing = "\n\n".join(f"{count} × {kind}\n{self.examples[kind][0]}" for kind, count in self.failures.items())
            pytest.fail(f"{sum(self.failures.values())} failing cases of {self.cases}:\n\n{listing}", pytrace=False)
