"""The short chaos profile, in CI: faults under load on the real runtime lose nothing and double nothing.

`make chaos` runs the same with its figures and plot (docs/reliability.md); `make chaos ARGS=--long` for longer.
"""

from __future__ import annotations

import pytest

from tests.dapr.conftest import require_provisioned
from tests.faults import profiles, report
from tests.faults.run import run

pytestmark = pytest.mark.dapr


def test_short_chaos_run_loses_nothing_and_doubles_nothing():
    require_provisioned()
    result = run(profiles.short())
    text = report.render(result.record)
    print(text)
    assert not result.record["fault_errors"], text
    assert result.unsettled == {}, text
    assert result.verdict.lost == [], text
    assert result.verdict.duplicated == [], text
    assert result.verdict.wrong == [], text
