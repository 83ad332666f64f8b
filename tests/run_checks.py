#!/usr/bin/env python3
"""make check's runner (and make check-pg's): every cmocka unit test
binary, then the pytest integration suite against the sanitizer build on
the store --backend names, then one closing line "N passed, N failed"
summing both. Exits non-zero if anything failed."""
import argparse
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_unit(binary):
    """Run one cmocka binary; return (passed, failed)."""
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
    proc = subprocess.run([binary], cwd=ROOT, env=env, capture_output=True,
                          text=True, errors="replace")
    out = proc.stdout + proc.stderr
    sys.stdout.write(out)
    passed = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
    failed = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
    if proc.returncode != 0 and failed == 0:
        # A crash or a sanitizer report before cmocka's summary.
        print(f"{binary}: exited {proc.returncode} before its summary")
        failed = 1
    return passed, failed


def run_pytest(build, backend):
    junit = os.path.join(ROOT, build, "pytest.xml" if backend == "sqlite"
                         else f"pytest-{backend}.xml")
    if os.path.exists(junit):
        os.unlink(junit)    # not last run's figures if pytest cannot start
    env = dict(os.environ, CUNGATE_BUILD=os.path.join(ROOT, build))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
           "-q", "--junitxml", junit, f"--backend={backend}",
           "tests/integration"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env)
    if not os.path.exists(junit):
        return 0, 1
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0))
                 for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    if proc.returncode not in (0, 1) and failed == 0:
        failed = 1      # pytest itself broke (collection, usage)
    return total - failed - skipped, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--no-integration", action="store_true",
                    help="the unit tests alone")
    ap.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite",
                    help="the integration suite's store (pg: on CUNGATE_PG's "
                    "server, or one it starts)")
    ap.add_argument("units", nargs="*")
    args = ap.parse_args()
    passed = failed = 0
    for binary in args.units:
        p, f = run_unit(binary)
        passed += p
        failed += f
    print(f"unit: {passed} passed, {failed} failed")
    if args.no_integration:
        return 1 if failed or passed == 0 else 0
    p, f = run_pytest(args.build, args.backend)
    print(f"integration: {p} passed, {f} failed")
    passed += p
    failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
