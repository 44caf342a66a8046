"""Schema fuzzing, deep: tests/test_api_fuzz.py with many more cases, and the figures.

The suite sends 5 generated requests per operation and role; this runs the same tests with
--examples (100) per operation and role, plus schemathesis' coverage phase (boundary values,
missing and wrong-typed fields, for every parameter and body field), in one process, and
prints how many requests were sent, the status codes they got, the failures (server errors,
undocumented status codes or content types, bodies that do not match the schema) and the
time. Exit status 0 when there is no failure.

Needs what the suite needs (PostgreSQL for the real thing: DATABASE_URL, REQUIRE_POSTGRES=1;
its test database is test_<name>):

    .venv/bin/python bench/api_fuzz.py [--examples 100] [--phases examples,coverage,fuzzing]
                                       [-- extra pytest arguments, e.g. -k incidents]
"""

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Figures:
    """A pytest plugin: counts the outcomes and keeps the fuzz module's counters."""

    def __init__(self):
        self.outcomes = Counter()
        self.failed = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[report.outcome] += 1
            if report.outcome == "failed":
                self.failed.append(report.nodeid.split("[", 1)[-1].rstrip("]"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    os.environ["FUZZ_EXAMPLES"] = str(args.examples)
    os.environ["FUZZ_PHASES"] = args.phases
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))

    import pytest

    figures = Figures()
    started = time.monotonic()
    code = pytest.main(["-p", "no:cacheprovider", "-p", "no:xdist", "-q", "--tb=line",
                        "tests/test_api_fuzz.py", *args.pytest_args], plugins=[figures])
    elapsed = time.monotonic() - started

    from tests import test_api_fuzz as fuzz

    by_operation = defaultdict(Counter)
    for (_role, operation, status), count in fuzz.STATUSES.items():
        by_operation[operation][status] += count
    print("\n== API schema fuzzing ==")
    print(f"run:        {args.examples} examples per operation and role, phases {args.phases}; "
          f"database {os.environ.get('DATABASE_URL', 'SQLite (no DATABASE_URL)')}")
    for operation in sorted(by_operation):
        statuses = ", ".join(f"{status}×{n}" for status, n in sorted(by_operation[operation].items()))
        print(f"  {operation:<58} {statuses}")
    total = sum(fuzz.CASES.values())
    per_role = Counter()
    for (role, _operation), count in fuzz.CASES.items():
        per_role[role] += count
    statuses = Counter()
    for (_role, _operation, status), count in fuzz.STATUSES.items():
        statuses[status] += count
    print(f"requests:   {total} ({', '.join(f'{r} {n}' for r, n in sorted(per_role.items()))}) "
          f"over {len({op for _r, op in fuzz.CASES})} operations")
    print(f"statuses:   {', '.join(f'{s}×{n}' for s, n in sorted(statuses.items()))}")
    print(f"tests:      {figures.outcomes['passed']} passed, {figures.outcomes['failed']} failed"
          f"{' (' + '; '.join(figures.failed) + ')' if figures.failed else ''}")
    print(f"server errors (5xx): {sum(n for s, n in statuses.items() if s.split()[-1] >= '500')}")
    print(f"time:       {elapsed:.0f} s")
    return 0 if code == 0 and not figures.failed else 1


if __name__ == "__main__":
    sys.exit(main())
