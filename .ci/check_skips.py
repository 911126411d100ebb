"""Fail CI when any test was skipped: in CI PostgreSQL, Chromium and the shared data are all
present, so a skip means a test that should have run (notably the PostgreSQL and browser tests)
did not."""

import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
cases = list(root.iter("testcase"))
# An expected failure (xfail) is reported as <skipped type="pytest.xfail">: it ran, so it counts.
skipped = [
    f"{c.get('classname')}::{c.get('name')}"
    for c in cases
    if (s := c.find("skipped")) is not None and s.get("type") != "pytest.xfail"
]
print(f"check_skips: {len(cases)} tests, {len(skipped)} skipped")
for s in skipped:
    print(f"  skipped: {s}")
if not cases:
    sys.exit("check_skips: FAIL: no tests ran")
if skipped:
    sys.exit("check_skips: FAIL: tests were skipped (PostgreSQL, browser or shared data missing?)")
