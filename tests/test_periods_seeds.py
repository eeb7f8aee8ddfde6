"""Period arithmetic and the reference data (seeds/)."""

import datetime as dt

import pytest

from liangxin import forms, periods, seeds


def test_period_bounds_and_neighbours():
    assert periods.period_start("2020Q3") == dt.date(2020, 7, 1)
    assert periods.period_end("2020Q3") == dt.date(2020, 9, 30)
    assert periods.period_end("2020Q4") == dt.date(2020, 12, 31)
    assert periods.period_end("2020Q1") == dt.date(2020, 3, 31)
    assert periods.previous_period("2021Q1") == "2020Q4"
    assert periods.next_period("2020Q4") == "2021Q1"
    assert periods.periods_between("2019Q3", "2020Q2") == ["2019Q3", "2019Q4", "2020Q1", "2020Q2"]
    assert len(periods.periods_between("2019Q1", "2021Q4")) == 12
    with pytest.raises(ValueError):
        periods.parse_period("2020Q5")


def test_register_has_8_streets_and_60_communities_with_12_digit_codes():
    comms = seeds.communities()
    assert len(comms) == 60
    assert len({c["unit_code"] for c in comms}) == 60
    assert all(len(c["unit_code"]) == 12 and c["unit_code"].isdigit() for c in comms)
    assert len({c["street_code"] for c in comms}) == 8
    assert all(c["unit_code"].startswith(c["street_code"]) for c in comms)


def test_every_code_list_named_by_a_form_exists():
    for form in forms.FORMS:
        for f in form.fields:
            if f.type == forms.CODE:
                assert forms.code_values(f.code_list), f.name


def test_deadlines_templates_quotas_allow_list():
    assert seeds.deadlines()["2020Q3"] == dt.date(2020, 10, 15)
    assert seeds.deadlines()["2020Q4"] == dt.date(2021, 1, 15)
    assert seeds.template_version_for("2019Q2") == "LX-Q-2019.1"
    assert seeds.template_version_for("2020Q4") == "LX-Q-2020.1"
    assert seeds.template_version_for("2021Q1") == seeds.template_version_for("2021Q4") == "LX-Q-2021.1"
    q = seeds.development_quotas()
    assert all((c["unit_code"], 2020) in q for c in seeds.communities())
    from liangxin.checks import uscc_valid

    assert seeds.uscc_allow_list() and not any(uscc_valid(u) for u in seeds.uscc_allow_list())


def test_indicator_seed_covers_every_kpi_of_the_spec():
    ids = {r["indicator_id"] for r in seeds.indicators()}
    for base in [
        "K1",
        "K2",
        "K3",
        "K3b",
        "K4",
        "K5",
        "K7a",
        "K7b",
        "K7c",
        "K7d",
        "K7",
        "K7q",
        "K8",
        "K9",
        "K9b",
        "K10",
        "K11",
        "K12",
        "K13",
        "K14a",
        "K14b",
        "K15",
        "K15y",
        "K16",
        "K17",
        "K18",
        "K18b",
        "K19",
        "K20",
    ]:
        assert base in ids, base
    assert {"K6_union", "K6_youth", "K6_women", "K18c_in", "K18c_out"} <= ids
