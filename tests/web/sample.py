"""The throw-away workspace of the tests/web session (one per xdist worker).

A module of its own, imported by absolute name from conftest.py and the tests, so that it is
executed once per process: pytest's importlib mode loads conftest.py under a name of its own,
and a test importing ``tests.web.conftest`` would run it a second time and make a second
workspace.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from tests.support import TEST_DATA

from saferplaces.workspace import Workspace

SAMPLE = TEST_DATA / "policeuk" / "avon-sample"
PARTNERSHIP = "Test Community Safety Partnership"

_root = Path(tempfile.mkdtemp(prefix="saferplaces-web-tests-"))
atexit.register(shutil.rmtree, _root, True)
WORKSPACE = Workspace.create(_root / "workspace", PARTNERSHIP, forces=["avon-and-somerset"])
