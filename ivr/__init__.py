"""futures-ivr: the ARI application of a futures brokerage's customer hotline.

The sub-packages are the rooms, one job each (README, "Layout: where a change goes"); the modules
directly here are wiring only (`cli`, `errors`, `log`, `clock`, `metrics`). This file must not
import any room (it holds the version only); which room may import which is the "ivr layers"
import-linter contract in `pyproject.toml`.
"""

__version__ = "0.1.0"
