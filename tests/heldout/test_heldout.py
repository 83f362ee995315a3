"""The offline proposal, tested out of sample, against each real set's five-line baseline.

Proposed on one half of each labelled set (by group), tested on the other: the proposal's AUC must
reach the baseline's minus 0.01. Sets the proposer cannot handle yet are strict xfails naming what
is missing, so the day one passes the mark fails and is removed.
"""

from __future__ import annotations

import pytest

from .datasets import REAL, SETS
from .measure import measure

TOLERANCE = 0.01

MISSING = {
    "mmlupro_mistral7b": "needs the `choice` kind and answer slots mined from the data: the proposer compares a "
                         "`tiered` text answer with the gold letter (measured 0.916 held out, baseline 0.996)",
    "humaneval": "needs the `code_tests` kind: no rule runs the code against its `test`, and the proposer finds "
                 "nothing to reward (no proposal; the compile baseline is 0.5)",
}

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real generations not found at {REAL}")


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=MISSING[name])) if name in MISSING else name
    for name in SETS
])
def test_proposal_holds_out_at_least_as_well_as_the_baseline(name):
    m = measure(name)
    assert m.baseline_auc is not None and m.n >= 40
    assert m.proposed_auc is not None, m.failures
    assert m.proposed_auc >= m.baseline_auc - TOLERANCE, m.row()
