"""The generator's clean world, written with the hand-made writer, passes the validator: only the expected
warnings (P1 on the first quarter, P4 for late returns) and every typed value comes back unchanged.

An independent cross-check of two implementations of returns.md (generator and validator)."""

from __future__ import annotations

import datetime as dt

from liangxin import forms, periods
from liangxin.validate import PreviousReturn, ValidationContext, validate_file
from returnbuilder import ReturnBuilder, describe


#: the generated world of this module (tests/conftest.py: the ``world`` fixture, DEFAULT_WORLD changed by this)
WORLD = {"start": "2019Q1", "end": "2021Q4"}


def test_generated_returns_validate(tmp_path, world):
    units = [c["unit_code"] for c in world.communities[:2]]
    for (unit, period), data in sorted(world.returns.items()):
        if unit not in units:
            continue
        b = ReturnBuilder(period)  # the columns of the version in force for the period
        b.data = {k: (v if isinstance(v, list) else [v]) for k, v in data.items()}
        path = b.to_xlsx(tmp_path / "w.xlsx")
        before = world.returns.get((unit, periods.previous_period(period)))

        def previous(u, p, before=before):
            if before is None:
                return None
            orgs = {r["party_org_code"]: r["closing_actual"] for r in before["member_flows"]}
            return PreviousReturn(orgs, len(before["organizations"]), len(before["party_orgs"]), sum(orgs.values()))

        r = validate_file(path, ValidationContext.offline(received_on=dt.date(2030, 1, 1), previous_return=previous))
        assert not r.errors, f"{unit} {period}\n{describe(r)}"
        allowed = {"P4"} | ({"P1"} if before is None else set())
        assert {h.rule_id for h in r.hits} <= allowed, f"{unit} {period}\n{describe(r)}"
        for form in forms.DATA_FORMS:
            assert [row.values for row in r.rows[form.key]] == list(data[form.key]), (unit, period, form.key)
