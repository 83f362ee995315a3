"""rewardsmith's tests. A package, so tests/trl is `tests.trl` and never shadows the real `trl`."""
