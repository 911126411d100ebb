"""static/saferplaces/map.js: its class breaks and colours, run with Node.js when it is installed
(the browser tests draw real maps with it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import saferplaces.web

MAP_JS = Path(saferplaces.web.__file__).parent / "static" / "saferplaces" / "map.js"

SCRIPT = """
globalThis.document = { querySelectorAll: () => [] };  // map.js draws every [data-map] on load
const m = await import(process.argv[2]);
const out = {
  skewed: m.classBreaks([0, 0, 0, 0, 0, 0, 0, 0, 4.5]),
  spread: m.classBreaks([45, 50, 52, 55, 58, 62, 70, 80, 108]),
  flat: m.classBreaks([3, 3, 3]),
  missing: m.classBreaks([null, 2, "x", 4, 6, 8, 10]),
  colours: [m.colourFor(4.5, [0.9, 1.8, 2.7, 3.6], m.DEFAULT_COLOURS),
            m.colourFor(0, [0.9, 1.8, 2.7, 3.6], m.DEFAULT_COLOURS),
            m.colourFor(null, [1], m.DEFAULT_COLOURS)],
  noData: m.NO_DATA_COLOUR,
};
console.log(JSON.stringify(out));
"""


def test_class_breaks_and_colours(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    script = tmp_path / "run.mjs"
    script.write_text(SCRIPT, "utf-8")
    done = subprocess.run(
        [node, str(script), MAP_JS.as_uri()], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    # Most areas at zero: quantiles would merge classes, so equal steps up to the largest.
    assert out["skewed"] == [0.9, 1.8, 2.7, 3.6]
    assert out["spread"] == [50, 55, 62, 80]  # quintiles, two significant figures
    assert out["flat"] == []
    assert out["missing"] == [4, 6, 8, 10]  # only numbers count
    assert out["colours"] == ["#003078", "#d2e2f1", out["noData"]]
