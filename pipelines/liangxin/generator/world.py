"""The synthetic world: two-new units, Party organizations, members, training and mobile members of a
district (or a city / province of synthetic districts), evolving quarter by quarter.

The world is built first — entities with persistent identities whose state changes each quarter — and
every return is then *derived* from the world's state at the end of the quarter, so the returns are
consistent by construction: openings equal previous closings, 期末应有数 = 期末实有数 = 表2 members,
joint branches cover 2–5 units, standalone organizations cover exactly one unit, every code points to a
row of the same return.

Only ``random.Random(seed)`` is used; nothing depends on set iteration order or the clock.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from liangxin import seeds
from liangxin.forms import ENTERPRISE, ORGANIZATIONS, TRAININGS, version_has
from liangxin.periods import is_q4, parse_period, period_end, period_start, periods_between

from .names import (
    INDUSTRY_WEIGHTS,
    PLACE_WORDS,
    SOCIAL_INDUSTRY,
    Issuer,
    poisson,
    weighted,
)

TIERS = {"district": 1, "city": 10, "province": 100}
DISTRICT_CODE = "330199"

SOCIAL_WEIGHTS = (
    ("社会团体", 35),
    ("民办非企业单位", 45),
    ("基金会", 5),
    ("律师事务所", 8),
    ("会计师事务所", 4),
    ("税务师事务所", 3),
)
CONTROL_WEIGHTS = (("私有经济控制", 93), ("港澳台商经济控制", 4), ("外商经济控制", 3))

# sizes per community (the district has 60: 13,000 units, 600 social organizations …)
UNITS_PER_COMMUNITY = 13_000 / 60
SOCIAL_SHARE = 600 / 13_000
STANDALONE_PER_60 = {"党委": 20, "党总支": 40, "党支部": 390}
JOINT_PER_COMMUNITY = 9.6  # + the coverage drive (NEW_JOINT_PER_COMMUNITY_QUARTER) ≈ 600 after a few years
FUNCTIONAL_PER_60 = 25
NONE_ELIGIBLE_PER_60 = 30
MOBILE_LEFT = ("已返回", "已转接关系")  # 表6 statuses that leave the ledger after the quarter they happen in
INFLOW_START_PER_COMMUNITY = 7.0
INFLOW_NEW_PER_COMMUNITY_QUARTER = 0.25
OUTFLOW_START_PER_COMMUNITY = 2.0
OUTFLOW_NEW_PER_COMMUNITY_QUARTER = 0.05
SIZE_FLOOR = {"党委": 100, "党总支": 50}
# Coverage calibration (scale.md: coverage 85–92% of the "三有" base, standalone 10–15% of it, joint branches
# cover most small units).  Joint branches and 挂靠 are formed for the small-but-三有 units of the base (实体运营
# ∧ 固定经营场所 ∧ ≥ BASE_MIN employees), so their units are taken from the 三有 units first and made 三有 when
# short; the units left outside the base are the tiny / non-operating ones.  Social organizations are always in
# the base, so some join joint branches too (社会组织联合党支部); the rest stay mostly uncovered.
BASE_MIN = 10  # = seeds/kpi_parameters.csv base_min_employees
JOINT_EMPLOYEES = (12, 40)  # employee range given to a joint / 挂靠 unit that is short of the threshold
JOINT_SOCIAL_SHARE = 0.11  # share of joint-branch units that are social organizations
BASE_LEFT_UNCOVERED = 0.05  # share of the 三有 enterprises passed over when organized units are picked
# coverage drive: chance per community and quarter that a new joint branch takes in uncovered 三有 units, so
# that coverage keeps pace with (slightly ahead of) new units entering the base
NEW_JOINT_PER_COMMUNITY_QUARTER = 0.12
# instructors / first secretaries are sent to most covered units (K5) and to many uncovered base units (K4)
INSTRUCTOR_P = {"联合建立": 0.72, "挂靠": 0.72, "单独建立": 0.6, "base": 0.5, "other": 0.12}


@dataclass
class World:
    """The world model (docs/internals.md): register rows, periods, returns as typed values, quotas, deadlines."""

    communities: list[dict]
    periods: list[str]
    returns: dict[tuple[str, str], dict[str, list[dict]]]
    quotas: dict[tuple[str, int], int]
    deadlines: dict[str, dt.date]
    tier: str = "district"
    seed: int = 20201
    stats: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------------------
class Unit:
    __slots__ = (
        "uscc",
        "name",
        "cat",
        "is_ent",
        "control",
        "industry",
        "comm",
        "operating",
        "premises",
        "employees",
        "above",
        "lr_member",
        "lr_secretary",
        "mf",
        "mp",
        "mre",
        "extra",
        "status",
        "org",
        "instructor",
        "first_secretary",
        "union",
        "youth",
        "women",
        "pmd",
        "ftw",
        "investor",
        "pinned",
        "closed_in",
        "moved_in",
        "prev_comm",
        "payroll_wage",
        "funds_ratio",
        "inspection",
        "double_strong",
    )

    def __init__(self):
        self.pinned = False
        self.closed_in = None
        self.moved_in = None
        self.prev_comm = None
        self.investor = None
        self.extra = 0
        self.org = None
        self.status = "未建立"
        self.lr_secretary = False


class Org:
    __slots__ = (
        "code",
        "name",
        "otype",
        "mode",
        "est",
        "comm",
        "units",
        "sec",
        "sec_since",
        "sec_mode",
        "sec_mgmt",
        "deputies",
        "workers",
        "venue",
        "six",
        "formal",
        "prob",
        "pool",
        "new_in",
        "trained",
    )

    def __init__(self):
        self.units = []
        self.deputies = []
        self.workers = []
        self.pool = []
        self.new_in = None
        self.trained = set()


class Mobile:
    __slots__ = (
        "person",
        "direction",
        "since",
        "home_org",
        "uscc",
        "host",
        "registered",
        "verified",
        "certificate",
        "events",
        "comm",
    )


def _rand_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _money(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


# ---------------------------------------------------------------------------------------------------
# Registers for the tiers
# ---------------------------------------------------------------------------------------------------
STREET_WORDS = (
    "东湖",
    "西溪",
    "南山",
    "北苑",
    "文华",
    "翠屏",
    "新城",
    "滨江",
    "长河",
    "古荡",
    "湖墅",
    "潮鸣",
    "紫阳",
    "望江",
    "闸弄",
    "丁桥",
    "笕桥",
    "彭埠",
    "九堡",
    "四季",
    "白杨",
    "下沙",
    "浦沿",
    "西兴",
)


def synthetic_register(tier: str, rng: random.Random) -> list[dict]:
    """The community register of a tier: the seed for ``district``; generated districts for city/province.

    City: 10 districts ``3302dd``; province: 10 cities × 10 districts ``33ccdd``; each district has 8 streets
    and 60 communities (7–8 per street) with 12-digit codes, like ``seeds/communities.csv``.
    """
    if tier == "district":
        return [dict(r) for r in seeds.communities() if r["district_code"] == DISTRICT_CODE]
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r} (district, city, province)")
    districts = []
    if tier == "city":
        districts = [(f"3302{d + 1:02d}", f"合成市第{d + 1}区") for d in range(10)]
    else:
        districts = [(f"33{c + 1:02d}{d + 1:02d}", f"合成省{c + 1}市{d + 1}区") for c in range(10) for d in range(10)]
    rows, order = [], 0
    for dcode, dname in districts:
        used: set[str] = set()
        for s in range(8):
            scode = f"{dcode}{s + 1:03d}"
            sname = f"{STREET_WORDS[(s + len(rows)) % len(STREET_WORDS)]}街道"
            for c in range(7 if s < 4 else 8):
                while True:
                    w = rng.choice(PLACE_WORDS)
                    if w not in used:
                        used.add(w)
                        break
                order += 1
                rows.append(
                    {
                        "unit_code": f"{scode}{c + 1:03d}",
                        "unit_name": f"{w}社区党总支",
                        "street_code": scode,
                        "street_name": sname,
                        "district_code": dcode,
                        "district_name": dname,
                        "sort_order": str(order),
                    }
                )
    return rows


# ---------------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, tier: str, start: str, end: str, seed: int, communities: int | None, progress=None):
        self.rng = random.Random(seed)
        self.iss = Issuer(self.rng)
        self.tier, self.seed = tier, seed
        self.periods = periods_between(start, end)
        if not self.periods:
            raise ValueError(f"empty period range {start}..{end}")
        register = synthetic_register(tier, self.rng)
        if communities is not None:
            register = register[:communities]
        self.register = register
        self.comm_codes = [r["unit_code"] for r in register]
        self.comm_row = {r["unit_code"]: r for r in register}
        self.progress = progress
        self.units: dict[str, list[Unit]] = {c: [] for c in self.comm_codes}  # active units per community
        self.orgs: dict[str, list[Org]] = {c: [] for c in self.comm_codes}
        self.org_by_code: dict[str, Org] = {}
        self.org_seq: dict[str, int] = {c: 0 for c in self.comm_codes}
        self.mobile: dict[str, list[Mobile]] = {c: [] for c in self.comm_codes}
        self.cover_people = {
            c: (
                self.iss.person(0.5)[0],
                self.iss.person(0.5)[0],
                f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}",
            )
            for c in self.comm_codes
        }
        self.returns: dict[tuple[str, str], dict[str, list[dict]]] = {}
        self.stats: dict = {}
        self.flows: dict[str, dict] = {}  # org code -> this quarter's flow numbers
        self.investor_trained_year: dict[int, set[str]] = {}
        self.last_closing: dict[str, int] = {}

    # --- helpers ----------------------------------------------------------------------------------
    def region(self, comm: str) -> str:
        return comm[:6]

    def district_name(self, comm: str) -> str:
        return self.comm_row[comm]["district_name"]

    def comm_short(self, comm: str) -> str:
        return self.comm_row[comm]["unit_name"].replace("社区党总支", "社区")

    def new_org_code(self, comm: str) -> str:
        self.org_seq[comm] += 1
        return f"{comm}-{self.org_seq[comm]:04d}"

    def new_unit(self, comm: str, social: bool, young: bool = False) -> Unit:
        """A unit of the register; ``young`` = registered during the run (new enterprises start smaller, so
        the base grows with the register but not faster than the coverage drive)."""
        rng = self.rng
        u = Unit()
        u.comm = comm
        if social:
            u.cat = weighted(rng, SOCIAL_WEIGHTS)
            u.is_ent = False
            u.control = None
            u.industry = SOCIAL_INDUSTRY[u.cat]
            u.name = self.iss.social_name(u.cat, self.district_name(comm))
            u.operating = rng.random() < 0.93
            u.premises = rng.random() < 0.8
            u.employees = rng.randint(2, 60)
        else:
            u.cat = ENTERPRISE
            u.is_ent = True
            u.control = weighted(rng, CONTROL_WEIGHTS)
            u.industry = weighted(rng, INDUSTRY_WEIGHTS)
            u.name = self.iss.enterprise_name(u.industry, self.district_name(comm))
            u.operating = rng.random() < 0.85
            u.premises = u.operating and rng.random() < 0.8
            u.employees = int(math.exp(rng.gauss(1.0 if young else 1.45, 1.1))) + 1
        u.uscc = self.iss.uscc(u.cat, self.region(comm))
        u.above = u.is_ent and u.employees >= 100 and rng.random() < 0.6
        u.lr_member = False
        u.mf = u.mp = u.mre = 0
        in_base = not u.is_ent or (u.operating and u.premises and u.employees >= BASE_MIN)
        u.instructor = rng.random() < INSTRUCTOR_P["base" if in_base else "other"]
        u.first_secretary = rng.random() < 0.01
        u.union = rng.random() < (0.6 if u.employees >= 25 else 0.1)
        u.youth = rng.random() < (0.25 if u.employees >= 25 else 0.03)
        u.women = rng.random() < (0.3 if u.employees >= 25 else 0.04)
        u.pmd = False
        u.ftw = 0
        u.payroll_wage = rng.randint(55, 130) * 1000
        u.funds_ratio = None
        u.inspection = None
        u.double_strong = False
        return u

    def make_small_base_unit(self, u: Unit) -> None:
        """Make a small unit "三有" (operating, premises, >= BASE_MIN employees) for a joint / 挂靠 branch."""
        u.operating = True
        u.premises = True
        if u.employees < JOINT_EMPLOYEES[0]:
            u.employees = self.rng.randint(*JOINT_EMPLOYEES)

    def make_base_unit(self, u: Unit, minimum: int, maximum: int) -> None:
        """Make a unit operating, with premises and an employee count in [minimum, maximum]."""
        u.operating = True
        u.premises = True
        u.employees = max(u.employees, self.rng.randint(minimum, maximum))
        u.above = u.is_ent and u.employees >= 100 and self.rng.random() < 0.7
        u.union = self.rng.random() < 0.85
        u.youth = self.rng.random() < 0.5
        u.women = self.rng.random() < 0.55

    def new_org(self, comm: str, otype: str, mode: str, name: str, est: dt.date, n: int, joint=False) -> Org:
        rng = self.rng
        o = Org()
        o.code = self.new_org_code(comm)
        o.name = name
        o.otype, o.mode, o.est, o.comm = otype, mode, est, comm
        o.sec = self.iss.person()
        o.sec_since = est
        if joint:
            o.sec_mode = weighted(rng, (("选任", 50), ("派任", 30), ("兼任", 20)))
            o.sec_mgmt = rng.random() < 0.4
        else:
            o.sec_mode = weighted(rng, (("选任", 60), ("委任", 20), ("兼任", 15), ("聘任", 5)))
            o.sec_mgmt = rng.random() < 0.7
        big = otype in ("党委", "党总支")
        o.deputies = [
            self.iss.person() for _ in range(rng.randint(1, 2) if big else (1 if n >= 7 and rng.random() < 0.5 else 0))
        ]
        o.workers = [self.iss.person() for _ in range(rng.randint(1, 3) if big else (1 if rng.random() < 0.5 else 0))]
        o.venue = rng.random() < (0.97 if big else 0.85)
        o.six = [rng.random() < (0.95 if big else 0.8) for _ in range(6)]
        o.prob = 0 if n < 5 else min(n - 3, poisson(rng, n * 0.03))
        o.formal = n - o.prob
        self.orgs[comm].append(o)
        self.org_by_code[o.code] = o
        return o

    # --- initial population -----------------------------------------------------------------------
    def populate(self) -> None:
        rng = self.rng
        first = period_start(self.periods[0])
        f = len(self.comm_codes) / 60
        standalone_kinds = []
        for kind, n in STANDALONE_PER_60.items():
            standalone_kinds += [kind] * max(1 if kind == "党支部" else 0, round(n * f))
        per_comm_kinds: dict[str, list[str]] = {c: [] for c in self.comm_codes}
        for kind in standalone_kinds:
            per_comm_kinds[rng.choice(self.comm_codes)].append(kind)
        functional = {c: 0 for c in self.comm_codes}
        for _ in range(round(FUNCTIONAL_PER_60 * f)):
            functional[rng.choice(self.comm_codes)] += 1
        none_eligible = {c: 0 for c in self.comm_codes}
        for _ in range(round(NONE_ELIGIBLE_PER_60 * f)):
            none_eligible[rng.choice(self.comm_codes)] += 1
        for comm in self.comm_codes:
            n_units = max(60, int(rng.gauss(UNITS_PER_COMMUNITY, 30)))
            n_social = max(3, int(round(n_units * SOCIAL_SHARE * rng.uniform(0.7, 1.3))))
            units = [self.new_unit(comm, True) for _ in range(n_social)]
            units += [self.new_unit(comm, False) for _ in range(n_units - n_social)]
            order = list(range(len(units)))
            rng.shuffle(order)
            units = [units[i] for i in order]
            self.units[comm] = units
            free = list(units)  # units not yet given a role
            social_free = [u for u in free if not u.is_ent]
            ent_free = [u for u in free if u.is_ent]
            # ``take`` pops from the end: put the 三有 enterprises last (stable sort keeps the shuffled order
            # within each group), so organized units come from the base and the tiny ones stay unorganized;
            # a few 三有 enterprises are left in the unorganized part (the coverage gap of the base)
            first_pick = [
                u.operating and u.premises and u.employees >= BASE_MIN and rng.random() >= BASE_LEFT_UNCOVERED
                for u in ent_free
            ]
            ent_free = [u for _, u in sorted(zip(first_pick, ent_free), key=lambda t: t[0])]

            def take(pool: list[Unit]) -> Unit:
                u = pool.pop()
                free.remove(u)
                return u

            # standalone organizations
            for kind in per_comm_kinds[comm]:
                use_social = kind == "党支部" and social_free and rng.random() < 0.1
                u = take(social_free if use_social else ent_free)
                if kind == "党委":
                    n = rng.randint(102, 128)
                    self.make_base_unit(u, n * 3, n * 12)
                elif kind == "党总支":
                    n = rng.randint(51, 66)
                    self.make_base_unit(u, n * 3, n * 10)
                else:
                    n = int(
                        weighted(
                            rng,
                            (
                                ("3", 32),
                                ("4", 25),
                                ("5", 15),
                                ("6", 9),
                                ("7", 7),
                                ("8", 5),
                                ("10", 3),
                                ("12", 2),
                                ("16", 1),
                                ("25", 1),
                            ),
                        )
                    )
                    self.make_base_unit(u, max(12, n * 3), max(40, n * 15))
                suffix = {"党委": "委员会", "党总支": "总支部委员会", "党支部": "支部委员会"}[kind]
                est = _rand_date(rng, dt.date(2003, 1, 1), first - dt.timedelta(days=30))
                o = self.new_org(comm, kind, "单独组建", f"中共{u.name}{suffix}", est, n)
                self.attach_standalone(u, o, initial=True)
            # functional organizations in social organizations
            for _ in range(functional[comm]):
                if not social_free:
                    break
                u = take(social_free)
                n = rng.randint(3, 8)
                u.operating = u.premises = True
                u.employees = max(u.employees, n + rng.randint(5, 30))
                est = _rand_date(rng, dt.date(2012, 1, 1), first - dt.timedelta(days=30))
                o = self.new_org(comm, "党支部", "功能型", f"中共{u.name}功能型党支部", est, n)
                o.units = [u.uscc]
                u.status, u.org = "功能型", o.code
                u.mf, u.mp = o.formal, o.prob
                u.mre = u.mf + u.mp
            # joint branches
            n_joint = max(1, int(round(rng.gauss(JOINT_PER_COMMUNITY, 2))))
            for j in range(n_joint):
                size = int(weighted(rng, (("2", 5), ("3", 10), ("4", 20), ("5", 65))))
                if len(ent_free) < size + 5:
                    break
                members = [
                    take(social_free if social_free and rng.random() < JOINT_SOCIAL_SHARE else ent_free)
                    for _ in range(size)
                ]
                self.make_joint(comm, members, _rand_date(rng, dt.date(2008, 1, 1), first - dt.timedelta(days=30)))
            # affiliated (挂靠) units under a building branch
            if rng.random() < 0.5 and len(ent_free) > 10:
                members = [take(ent_free) for _ in range(rng.randint(2, 4))]
                for u in members:
                    u.mf = int(weighted(rng, (("0", 30), ("1", 45), ("2", 25))))
                    u.mre = u.mf if rng.random() < 0.3 else 0
                    self.make_small_base_unit(u)  # 挂靠 units are small 三有 units of the base
                    u.employees = max(u.employees, u.mf + 2)
                    u.instructor = rng.random() < INSTRUCTOR_P["挂靠"]
                n = max(3, sum(u.mf - u.mre for u in members) + rng.randint(1, 3))
                est = _rand_date(rng, dt.date(2010, 1, 1), first - dt.timedelta(days=30))
                # R6 (spec rev. 2): 挂靠组建 is a joint mode, so the building branch is a 联合党支部
                o = self.new_org(
                    comm,
                    "联合党支部",
                    "挂靠组建",
                    f"中共{self.comm_short(comm)}{rng.choice(PLACE_WORDS)}商务楼宇支部委员会",
                    est,
                    n,
                )
                o.units = [u.uscc for u in members]
                for u in members:
                    u.status, u.org = "挂靠", o.code
            # unorganised units with >= 3 members (the K3b worklist) and with individual members
            for _ in range(none_eligible[comm]):
                if ent_free:
                    u = take(ent_free)
                    u.mf = rng.randint(3, 4)
                    u.mre = u.mf
                    self.make_base_unit(u, 12, 60)
            for u in list(free):
                if rng.random() < 0.08:
                    u.mf = 1 if rng.random() < 0.7 else 2
                    u.mre = u.mf if rng.random() < 0.8 else 0
                    u.employees = max(u.employees, u.mf + 1)
            # mobile members already on the ledger
            for _ in range(poisson(rng, INFLOW_START_PER_COMMUNITY)):
                self.add_mobile(comm, "流入", first - dt.timedelta(days=rng.randint(20, 900)), first)
            for _ in range(poisson(rng, OUTFLOW_START_PER_COMMUNITY)):
                self.add_mobile(comm, "流出", first - dt.timedelta(days=rng.randint(20, 900)), first)

    def attach_standalone(self, u: Unit, o: Org, initial: bool) -> None:
        rng = self.rng
        o.units = [u.uscc]
        u.status, u.org = "单独建立", o.code
        u.extra = rng.randint(0, 2) if initial else 0
        u.mf, u.mp, u.mre = o.formal + u.extra, o.prob, u.extra
        u.instructor = rng.random() < INSTRUCTOR_P["单独建立"]
        u.pmd = o.otype != "党支部" and rng.random() < 0.6
        u.ftw = rng.randint(1, 3) if o.otype != "党支部" else (1 if rng.random() < 0.2 else 0)
        u.lr_member = rng.random() < 0.5
        u.lr_secretary = u.lr_member and rng.random() < 0.4
        if u.lr_secretary:
            if u.investor is None:
                u.investor = o.sec
            else:
                o.sec = u.investor
            o.sec_mode = "兼任"
            o.sec_mgmt = True
        u.employees = max(u.employees, u.mf + u.mp + 5)
        if u.is_ent:
            u.funds_ratio = weighted(rng, (("in", 60), ("high", 15), ("low", 17), ("over", 8)))

    def make_joint(self, comm: str, members: list[Unit], est: dt.date) -> Org:
        rng = self.rng
        for u in members:
            if u.mf == 0:
                u.mf = int(weighted(rng, (("0", 42), ("1", 40), ("2", 17.6), ("3", 0.4))))
            u.mp = 1 if rng.random() < 0.03 else 0
            u.mre = min(u.mf + u.mp, 1) if rng.random() < 0.2 else 0
            self.make_small_base_unit(u)  # joint branches serve the small 三有 units of the base
            u.employees = max(u.employees, u.mf + u.mp + rng.randint(1, 8))
        n = max(3, sum(u.mf + u.mp - u.mre for u in members))
        mode = weighted(rng, (("联合组建", 80), ("区域组建", 12), ("行业组建", 8)))
        seq = len(self.orgs[comm]) + 1
        o = self.new_org(
            comm,
            "联合党支部",
            mode,
            f"中共{self.comm_short(comm)}{rng.choice(PLACE_WORDS)}第{seq}联合支部委员会",
            est,
            n,
            joint=True,
        )
        o.units = [u.uscc for u in members]
        for u in members:
            u.status, u.org = "联合建立", o.code
            u.instructor = rng.random() < INSTRUCTOR_P["联合建立"]
        return o

    def add_mobile(
        self, comm: str, direction: str, since: dt.date, not_before: dt.date | None = None, p_end: dt.date | None = None
    ) -> None:
        """A ledger row; registered before ``not_before`` (initial rows) or within [since, p_end]."""
        rng = self.rng
        m = Mobile()
        m.person = self.iss.person()
        m.direction, m.comm = direction, comm
        m.since = since
        if p_end is None:  # initial rows: registered and mostly verified before the first quarter
            m.registered = min(since + dt.timedelta(days=rng.randint(0, 30)), not_before - dt.timedelta(days=1))
            m.verified = (
                min(m.registered + dt.timedelta(days=rng.randint(0, 40)), not_before - dt.timedelta(days=1))
                if rng.random() < 0.9
                else None
            )
        else:
            m.registered = min(since + dt.timedelta(days=rng.randint(0, 20)), p_end)
            m.verified = m.registered + dt.timedelta(days=rng.randint(0, 60)) if rng.random() < 0.85 else None
        m.certificate = rng.random() < 0.7
        m.events = [(m.registered, "在流动")]
        if direction == "流入":
            m.home_org = self.iss.home_org()
            cands = [
                u for u in self.units[comm] if u.is_ent and u.operating and u.closed_in is None and u.moved_in is None
            ]
            u = rng.choice(cands)
            u.pinned = True
            m.uscc = u.uscc
            if u.org is not None and u.status != "功能型" and rng.random() < 0.75:
                m.host = u.org
            elif rng.random() < 0.5 and self.orgs[comm]:
                m.host = rng.choice(
                    [o for o in self.orgs[comm] if o.otype == "联合党支部" and o.mode != "挂靠组建"] or self.orgs[comm]
                ).code
            else:
                m.host = None
            if m.host is not None and self.org_by_code[m.host].est > m.registered:
                m.host = None
        else:
            orgs = [o for o in self.orgs[comm] if o.mode != "功能型"]
            m.home_org = rng.choice(orgs).name if orgs else self.comm_row[comm]["unit_name"]
            m.uscc = None
            m.host = None
        self.mobile[comm].append(m)

    # --- quarterly dynamics -----------------------------------------------------------------------
    def step(self, p: str, idx: int) -> None:
        rng = self.rng
        ps, pe = period_start(p), period_end(p)
        year, quarter = parse_period(p)
        # 1. units: closures, moves, new units, member changes
        for comm in self.comm_codes:
            kept = []
            for u in self.units[comm]:
                if u.closed_in is not None or (u.moved_in is not None and u.moved_in != p and u.comm != comm):
                    continue  # closed last quarter or moved away before
                kept.append(u)
            self.units[comm] = kept
        if idx > 0:
            for comm in self.comm_codes:
                for u in self.units[comm]:
                    if u.status != "未建立" or u.pinned or u.mf >= 3 or u.moved_in is not None:
                        continue
                    r = rng.random()
                    if r < 0.003:
                        u.closed_in = p
                    elif r < 0.004 and len(self.comm_codes) > 1:
                        street = self.comm_row[comm]["street_code"]
                        targets = [
                            c for c in self.comm_codes if c != comm and self.comm_row[c]["street_code"] == street
                        ]
                        targets = targets or [c for c in self.comm_codes if c != comm]
                        u.moved_in, u.prev_comm = p, comm
                        u.comm = rng.choice(targets)
                # new units
                for _ in range(poisson(rng, UNITS_PER_COMMUNITY * 0.005)):
                    u = self.new_unit(comm, rng.random() < SOCIAL_SHARE, young=True)
                    self.units[comm].append(u)
            for comm in self.comm_codes:  # moved units join their new community's list
                for u in list(self.units[comm]):
                    if u.moved_in == p and u.prev_comm == comm:
                        self.units[u.comm].append(u)
        # employees drift, a few units gain a member
        for comm in self.comm_codes:
            for u in self.units[comm]:
                if u.closed_in is not None or u.comm != comm:
                    continue
                if rng.random() < 0.05:  # symmetric, so that the base does not creep up by drift alone
                    u.employees = max(1, u.employees + rng.randint(-2, 2))
                if u.status == "未建立" and rng.random() < 0.004 and u.mf < 3 and idx > 0:
                    u.mf += 1
                    u.mre = u.mf if rng.random() < 0.9 else u.mre
                    if u.mf >= 3:
                        self.make_base_unit(u, 12, 50)
                u.employees = max(u.employees, u.mf + u.mp)
        # 2. new Party organizations
        self.flows = {}
        if idx > 0:
            for comm in self.comm_codes:
                for u in self.units[comm]:
                    if (
                        u.status == "未建立"
                        and u.mf >= 3
                        and u.closed_in is None
                        and u.comm == comm
                        and u.moved_in is None
                        and rng.random() < 0.08
                    ):
                        est = _rand_date(rng, ps, pe - dt.timedelta(days=5))
                        n = u.mf
                        o = self.new_org(comm, "党支部", "单独组建", f"中共{u.name}支部委员会", est, n)
                        o.prob, o.formal = 0, n
                        self.attach_standalone(u, o, initial=False)
                        self.make_base_unit(u, 12, 50)
                        u.extra = 0
                        u.mre = 0
                        o.new_in = p
                        self.flows[o.code] = {"opening": 0, "transferred_in": n}
                if rng.random() < NEW_JOINT_PER_COMMUNITY_QUARTER * (len(self.units[comm]) / UNITS_PER_COMMUNITY):
                    # uncovered units of the base (三有 enterprises, social organizations) with 0–2 members
                    cands = [
                        u
                        for u in self.units[comm]
                        if u.status == "未建立"
                        and u.closed_in is None
                        and u.comm == comm
                        and u.moved_in is None
                        and u.operating
                        and u.mf <= 2
                        and (not u.is_ent or (u.premises and u.employees >= BASE_MIN))
                    ]
                    if len(cands) >= 3:
                        rng.shuffle(cands)
                        members = cands[: rng.randint(2, min(5, len(cands)))]
                        for u in members:
                            u.mre = 0
                            u.pinned = True
                        # the branch starts with ≥ 3 members transferred in (formal = max(3, …), as in populate)
                        o = self.make_joint(comm, members, _rand_date(rng, ps, pe - dt.timedelta(days=5)))
                        o.prob = 0
                        o.formal = max(3, sum(u.mf + u.mp - u.mre for u in members))
                        o.new_in = p
                        self.flows[o.code] = {"opening": 0, "transferred_in": o.formal}
        # 3. mobile ledger: new rows and status changes (接转 feeds 表3 in_mobile)
        mobile_in: dict[str, int] = {}
        for comm in self.comm_codes:
            if idx > 0:
                for _ in range(poisson(rng, INFLOW_NEW_PER_COMMUNITY_QUARTER)):
                    self.add_mobile(comm, "流入", _rand_date(rng, ps - dt.timedelta(days=60), pe), p_end=pe)
                for _ in range(poisson(rng, OUTFLOW_NEW_PER_COMMUNITY_QUARTER)):
                    self.add_mobile(comm, "流出", _rand_date(rng, ps - dt.timedelta(days=60), pe), p_end=pe)
            for m in self.mobile[comm]:
                last_date, last = m.events[-1]
                if last != "在流动" or last_date >= ps:
                    continue
                r = rng.random()
                when = _rand_date(rng, ps, pe)
                if m.direction == "流入" and m.host is not None and r < 0.03 and m.host not in self.flows:
                    m.events.append((when, "已转接关系"))
                    mobile_in[m.host] = mobile_in.get(m.host, 0) + 1
                elif 0.03 <= r < 0.045:
                    m.events.append((when, "已返回"))
                elif 0.045 <= r < 0.05:
                    m.events.append((when, "失去联系"))
        # 4. member flows of every organization
        all_orgs = [o for comm in self.comm_codes for o in self.orgs[comm]]
        transfers_out: dict[str, int] = {}
        transfers_in: dict[str, int] = {}
        movable = [o for o in all_orgs if o.code not in self.flows and o.mode != "功能型"]
        if len(movable) > 2:
            for _ in range(poisson(rng, len(movable) * 0.03)):
                a, b = rng.choice(movable), rng.choice(movable)
                if a is not b:
                    transfers_out[a.code] = transfers_out.get(a.code, 0) + 1
                    transfers_in[b.code] = transfers_in.get(b.code, 0) + 1
        for o in all_orgs:
            if o.code in self.flows:  # established this quarter: opening 0, members transferred in
                fl = self.flows[o.code]
                fl.update(
                    developed=0,
                    restored=0,
                    in_mobile=0,
                    in_whole_unit=0,
                    exited=0,
                    suspended=0,
                    deceased=0,
                    transferred_out=0,
                    out_whole_unit=0,
                    revealed=0,
                    absorbed=0,
                )
                fl["closing"] = o.formal + o.prob
                continue
            n = o.formal + o.prob
            conv = sum(1 for _ in range(o.prob) if rng.random() < 0.25)
            o.formal += conv
            o.prob -= conv
            developed = poisson(rng, n * 0.0062)
            restored = 1 if rng.random() < n * 0.0004 else 0
            in_mob = mobile_in.get(o.code, 0)
            in_whole = rng.randint(3, 8) if n >= 50 and rng.random() < 0.01 else 0
            t_in = poisson(rng, n * 0.0085) + in_mob + in_whole + transfers_in.get(o.code, 0)
            exited = 1 if rng.random() < n * 0.0008 else 0
            suspended = 1 if rng.random() < n * 0.0004 else 0
            deceased = 1 if rng.random() < n * 0.0008 else 0
            out_whole = rng.randint(3, 6) if n >= 60 and rng.random() < 0.006 else 0
            t_out = poisson(rng, n * 0.011) + out_whole + transfers_out.get(o.code, 0)
            floor = SIZE_FLOOR.get(o.otype, 0)
            cap = max(0, min(o.formal - 3, n - floor - 1 if floor else o.formal - 3))
            outs = [exited, suspended, deceased, t_out]
            while sum(outs) > cap:  # never shrink below 3 full members / the size rule
                i = max(range(4), key=lambda k: outs[k])
                outs[i] -= 1
            exited, suspended, deceased, t_out = outs
            out_whole = min(out_whole, t_out)
            o.formal += restored + t_in - exited - suspended - deceased - t_out
            o.prob += developed
            closing = o.formal + o.prob
            self.flows[o.code] = {
                "opening": n,
                "developed": developed,
                "restored": restored,
                "transferred_in": t_in,
                "in_mobile": in_mob,
                "in_whole_unit": in_whole,
                "exited": exited,
                "suspended": suspended,
                "deceased": deceased,
                "transferred_out": t_out,
                "out_whole_unit": out_whole,
                "closing": closing,
                "revealed": poisson(rng, n * 0.004),
                "absorbed": poisson(rng, n * 0.003),
            }
        # units follow their standalone / functional organization
        for comm in self.comm_codes:
            for u in self.units[comm]:
                if u.org is None:
                    continue
                o = self.org_by_code[u.org]
                if u.status == "单独建立":
                    u.mf, u.mp, u.mre = o.formal + u.extra, o.prob, u.extra
                    if u.employees < u.mf + u.mp + 5:
                        u.employees = u.mf + u.mp + 5 + rng.randint(0, 10)
                elif u.status == "功能型":
                    u.mf, u.mp = o.formal, o.prob
                    u.mre = u.mf + u.mp
                    u.employees = max(u.employees, u.mf + u.mp + 2)
        # 5. secretaries change now and then
        for o in all_orgs:
            if o.code not in self.flows or self.flows[o.code]["opening"] == 0:
                continue
            if rng.random() < 0.02:
                unit = None
                if o.mode == "单独组建":
                    unit = next((u for u in self.units[o.comm] if u.uscc == o.units[0]), None)
                if unit is not None and unit.lr_secretary:
                    unit.lr_secretary = False
                o.sec = self.iss.person()
                o.sec_since = _rand_date(rng, ps, pe - dt.timedelta(days=1))
                if o.sec_mode == "兼任" and not (unit and unit.lr_secretary):
                    o.sec_mode = "选任"
        # 6. training and attendance
        self.train(p, year, quarter, ps, pe, all_orgs)
        # 7. the returns
        for comm in self.comm_codes:
            self.returns[(comm, p)] = self.build_return(comm, p, idx)

    # --- training -----------------------------------------------------------------------------------
    def event(self, code, name, level, organizer, ttype, ps, pe, hours) -> dict:
        rng = self.rng
        days = 1 if hours <= 4 else 2 if hours <= 12 else 3
        start = _rand_date(rng, ps + dt.timedelta(days=3), pe - dt.timedelta(days=days + 2))
        return {
            "training_code": code,
            "training_name": name,
            "organizer_level": level,
            "organizer": organizer,
            "training_type": ttype,
            "start_on": start,
            "end_on": start + dt.timedelta(days=days - 1),
            "hours": float(hours),
        }

    def attend(self, comm, ev, person, role, org_code=None, uscc=None) -> None:
        key = (comm, ev["training_code"])
        seen = self._attended.setdefault(key, set())
        if person[1] in seen:
            return
        seen.add(person[1])
        self._att[comm].append(
            {
                "training_code": ev["training_code"],
                "person_name": person[0],
                "person_id": person[1],
                "role": role,
                "party_org_code": org_code,
                "uscc": uscc,
            }
        )
        evs = self._events[comm]
        if ev["training_code"] not in evs:
            evs[ev["training_code"]] = ev

    def train(self, p, year, quarter, ps, pe, all_orgs) -> None:
        rng = self.rng
        self._att = {c: [] for c in self.comm_codes}
        self._events = {c: {} for c in self.comm_codes}
        self._attended = {}
        pe_event = pe
        live = [o for o in all_orgs if o.est <= ps + dt.timedelta(days=2)]
        districts: dict[str, str] = {}
        for c in self.comm_codes:
            districts.setdefault(self.comm_row[c]["district_code"], self.comm_row[c]["district_name"])
        by_district: dict[str, list[Org]] = {d: [] for d in districts}
        for o in live:
            by_district[self.comm_row[o.comm]["district_code"]].append(o)
        for dcode, dname in districts.items():
            organizer = f"中共{dname}委组织部"
            if quarter == 2:  # induction for secretaries appointed since last year's course
                ev = self.event(
                    f"QJ{dcode}-{year}-01",
                    f"{year}年两新组织新任党组织书记任职培训",
                    "区级",
                    organizer,
                    "任职培训",
                    ps,
                    pe_event,
                    16,
                )
                for o in by_district[dcode]:
                    if o.sec_since >= dt.date(year - 1, 4, 1) and rng.random() < 0.9:
                        self.attend(o.comm, ev, o.sec, "书记", o.code)
                        o.trained.add(year)
            if quarter in (3, 4):
                ev = self.event(
                    f"QJ{dcode}-{year}-0{quarter - 1}",
                    f"{year}年两新组织党组织书记集中轮训（第{quarter - 2}期）",
                    "区级",
                    organizer,
                    "集中培训",
                    ps,
                    pe_event,
                    24,
                )
                for o in by_district[dcode]:
                    if year in o.trained:
                        continue
                    if rng.random() < (0.62 if quarter == 3 else 0.55):
                        self.attend(o.comm, ev, o.sec, "书记", o.code)
                        o.trained.add(year)
                        for d in o.deputies:
                            if rng.random() < 0.3:
                                self.attend(o.comm, ev, d, "副书记", o.code)
        if quarter == 1:  # street: Party-affairs workers
            streets: dict[str, str] = {}
            for c in self.comm_codes:
                streets.setdefault(self.comm_row[c]["street_code"], self.comm_row[c]["street_name"])
            by_street: dict[str, list[Org]] = {s: [] for s in streets}
            for o in live:
                by_street[self.comm_row[o.comm]["street_code"]].append(o)
            for scode, sname in streets.items():
                ev = self.event(
                    f"JD{scode}-{year}-01",
                    f"{sname}{year}年两新组织党务工作者培训班",
                    "街道",
                    f"中共{sname}工作委员会",
                    "党务干部培训",
                    ps,
                    pe_event,
                    8,
                )
                for o in by_street[scode]:
                    if o.workers and rng.random() < 0.3:
                        self.attend(o.comm, ev, o.workers[0], "党务工作者", o.code)
        for comm in self.comm_codes:
            # each community holds a cadre class in Q2 or Q3 and an investor class in Q3 or Q4 (most years)
            h = self._community_plan(comm, year)
            cname = self.comm_row[comm]["unit_name"]
            if h["cadre"] == quarter:
                ev = self.event(
                    f"SQ{comm}-{year}-01",
                    f"{self.comm_short(comm)}{year}年党务干部培训班",
                    "社区党总支",
                    cname,
                    "党务干部培训",
                    ps,
                    pe_event,
                    4,
                )
                for o in self.orgs[comm]:
                    if o.est <= ps and rng.random() < 0.45:
                        self.attend(comm, ev, o.sec, "书记", o.code)
                        for w in o.workers[:1]:
                            self.attend(comm, ev, w, "党务工作者", o.code)
            if h["investor"] == quarter:
                ev = self.event(
                    f"SQ{comm}-{year}-02",
                    f"{self.comm_short(comm)}{year}年出资人培训会",
                    "社区党总支",
                    cname,
                    "出资人培训",
                    ps,
                    pe_event,
                    3,
                )
                cands = [
                    u
                    for u in self.units[comm]
                    if u.is_ent and u.closed_in is None and u.comm == comm and u.moved_in is None and u.operating
                ]
                cands.sort(key=lambda u: (u.status == "未建立", -u.employees))
                k = min(len(cands), rng.randint(4, 9))
                trained = self.investor_trained_year.setdefault(year, set())
                for u in cands[: k * 2]:
                    if rng.random() < 0.5:
                        if u.investor is None:
                            u.investor = self.iss.person(0.25)
                        self.attend(comm, ev, u.investor, "出资人", None, u.uscc)
                        trained.add(u.uscc)
                        u.pinned = True
            # own study sessions recorded as training events
            seq = 0
            for o in self.orgs[comm]:
                if o.est <= ps and rng.random() < 0.02:
                    seq += 1
                    ev = self.event(
                        f"{o.code}-{year}{quarter}{seq:02d}",
                        f"{o.name}{year}年第{quarter}季度集中学习",
                        "本党组织",
                        o.name,
                        "党员学习",
                        ps,
                        pe_event,
                        2,
                    )
                    self.attend(comm, ev, o.sec, "书记", o.code)
                    while len(o.pool) < 8:
                        o.pool.append(self.iss.person())
                    for person in o.pool[: rng.randint(2, 4)]:
                        self.attend(comm, ev, person, "党员", o.code)

    def _community_plan(self, comm: str, year: int) -> dict:
        key = (comm, year)
        plan = self._plans.get(key)
        if plan is None:
            rng = self.rng
            plan = {
                "cadre": rng.choice((2, 3)) if rng.random() < 0.9 else 0,
                "investor": rng.choice((3, 4)) if rng.random() < 0.85 else 0,
            }
            self._plans[key] = plan
        return plan

    # --- return rows ------------------------------------------------------------------------------
    def build_return(self, comm: str, p: str, idx: int) -> dict[str, list[dict]]:
        rng = self.rng
        q4 = is_q4(p)
        year = parse_period(p)[0]
        ps, pe = period_start(p), period_end(p)
        deadline = seeds.deadlines().get(p) or (pe + dt.timedelta(days=15))
        filled, approved, phone = self.cover_people[comm]
        if rng.random() < 0.04:
            submitted = deadline + dt.timedelta(days=rng.randint(1, 20))
        else:
            submitted = deadline - dt.timedelta(days=rng.randint(0, 12))
        cover = {
            "unit_code": comm,
            "unit_name": self.comm_row[comm]["unit_name"],
            "period": p,
            "template_version": seeds.template_version_for(p),
            "correction_no": 0,
            "correction_reason": None,
            "filled_by": filled,
            "approved_by": approved,
            "phone": phone,
            "submitted_on": submitted,
        }
        units_rows = []
        trained = self.investor_trained_year.get(year, set())
        for u in self.units[comm]:
            if u.closed_in is not None and u.closed_in != p:
                continue
            if u.comm != comm:
                if u.moved_in == p and u.prev_comm == comm:
                    status = "迁出"
                else:
                    continue
            elif u.closed_in == p:
                status = "注销"
            else:
                status = "存续"
            units_rows.append(self.unit_row(u, status, q4, u.uscc in trained))
        org_rows, flow_rows = [], []
        for o in self.orgs[comm]:
            if o.est > pe:
                continue
            fl = self.flows[o.code]
            org_rows.append(self.org_row(o, q4))
            closing = o.formal + o.prob
            flow_rows.append(
                {
                    "party_org_code": o.code,
                    "opening": fl["opening"],
                    "developed": fl["developed"],
                    "restored": fl["restored"],
                    "transferred_in": fl["transferred_in"],
                    "in_mobile": fl["in_mobile"],
                    "in_whole_unit": fl["in_whole_unit"],
                    "exited": fl["exited"],
                    "suspended": fl["suspended"],
                    "deceased": fl["deceased"],
                    "transferred_out": fl["transferred_out"],
                    "out_whole_unit": fl["out_whole_unit"],
                    "closing_should": closing,
                    "closing_actual": closing,
                    "revealed": fl["revealed"],
                    "absorbed": fl["absorbed"],
                    "difference_note": None,
                }
            )
        mobile_rows = []
        for m in self.mobile[comm]:
            if m.registered > pe:
                continue
            status, changed = m.events[0][1], m.events[0][0]
            for d, s in m.events:
                if d <= pe:
                    status, changed = s, d
            if status in MOBILE_LEFT and changed < ps:
                continue  # the ledger is a stock: a row that left is listed once, in its quarter, then dropped
            mobile_rows.append(
                {
                    "person_name": m.person[0],
                    "person_id": m.person[1],
                    "direction": m.direction,
                    "since": m.since,
                    "home_org": m.home_org,
                    "uscc": m.uscc,
                    "host_party_org_code": m.host,
                    "registered_on": m.registered,
                    "verified_on": m.verified if m.verified and m.verified <= pe else None,
                    "certificate": m.certificate,
                    "status": status,
                }
            )
        ret = {
            "cover": [cover],
            "organizations": units_rows,
            "party_orgs": org_rows,
            "member_flows": flow_rows,
            "trainings": list(self._events[comm].values()),
            "attendance": list(self._att[comm]),
            "mobile_members": mobile_rows,
        }
        # a unit with its own (standalone) organization: the persons that organization admitted are the ones
        # developed in the unit (returns.md developed_here; R18 developed_here ≤ 从业预备党员数 holds: they are
        # among the organization's probationary members, which the unit reports)
        own = {
            u.uscc: self.flows[u.org]["developed"]
            for u in self.units[comm]
            if u.status == "单独建立" and u.org in self.flows and u.comm == comm
        }
        fill_version_fields(ret, self.seed, own)
        return ret

    def unit_row(self, u: Unit, status: str, q4: bool, investor_trained: bool) -> dict:
        rng = self.rng
        row = {
            "uscc": u.uscc,
            "org_name": u.name,
            "org_category": u.cat,
            "control_type": u.control,
            "industry_section": u.industry,
            "reg_status": status,
            "operating": u.operating,
            "fixed_premises": u.premises,
            "employees": u.employees,
            "above_scale": u.above,
            "legal_rep_member": u.lr_member or u.lr_secretary,
            "legal_rep_secretary": u.lr_secretary,
            "members_formal": u.mf,
            "members_probationary": u.mp,
            "members_relation_elsewhere": u.mre,
            "party_status": u.status,
            "party_org_code": u.org,
            "instructor": u.instructor,
            "first_secretary": u.first_secretary,
            "has_union": u.union,
            "has_youth_league": u.youth,
            "has_women_org": u.women,
            "party_mass_dept": u.pmd,
            "fulltime_party_workers": u.ftw,
            "payroll_prev_year": None,
            "party_funds": None,
            "investor_trained": None,
            "inspection_result": None,
            "double_strong": None,
        }
        if q4:
            if u.is_ent and u.status == "单独建立":
                payroll = u.employees * u.payroll_wage * rng.uniform(0.9, 1.1)
                kind = u.funds_ratio or "in"
                ratio = {"in": (0.0055, 0.0095), "high": (0.011, 0.019), "low": (0.0, 0.0042), "over": (0.022, 0.03)}[
                    kind
                ]
                r = rng.uniform(*ratio) if kind != "low" or rng.random() < 0.7 else 0.0
                row["payroll_prev_year"] = _money(round(payroll))
                row["party_funds"] = _money(round(payroll * r, 2))
            row["investor_trained"] = investor_trained
            if u.inspection is None or rng.random() < 0.3:
                u.inspection = weighted(rng, (("合格", 70), ("基本合格", 15), ("不合格", 3), ("未检", 12)))
            row["inspection_result"] = u.inspection
            u.double_strong = u.status == "单独建立" and (u.double_strong or rng.random() < 0.1)
            row["double_strong"] = u.double_strong
        return row

    def org_row(self, o: Org, q4: bool) -> dict:
        rng = self.rng
        n = o.formal + o.prob
        big = o.otype in ("党委", "党总支")
        committee = rng.choice((1, 2, 3, 3, 3)) if (o.formal >= 7 or big) else rng.choice((0, 0, 1, 3))
        row = {
            "party_org_code": o.code,
            "party_org_name": o.name,
            "org_type": o.otype,
            "formation_mode": o.mode,
            "established_on": o.est,
            "members_formal": o.formal,
            "members_probationary": o.prob,
            "secretary_name": o.sec[0],
            "secretary_id": o.sec[1],
            "secretary_mode": o.sec_mode,
            "secretary_in_mgmt": o.sec_mgmt,
            "deputies": len(o.deputies),
            "party_workers": len(o.workers),
            "has_venue": o.venue,
            "six_premises": None,
            "six_facilities": None,
            "six_signage": None,
            "six_flag": None,
            "six_books": None,
            "six_rules": None,
            "general_meetings": 1 if rng.random() < 0.93 else 0,
            "committee_meetings": committee,
            "group_meetings": rng.randint(0, 3) if n >= 7 else 0,
            "lectures": 1 if rng.random() < 0.85 else 0,
            "study_sessions": rng.randint(1, 3) if rng.random() < 0.95 else 0,
            "org_life_meeting": None,
            "appraisal_held": None,
            "appraisal_participants": None,
            "appraisal_unqualified": None,
            "dues_refund": None,
            "fiscal_support": None,
            "award_subsidy": None,
        }
        if q4:
            o.six = [s or rng.random() < 0.3 for s in o.six]
            for k, v in zip(
                ("six_premises", "six_facilities", "six_signage", "six_flag", "six_books", "six_rules"), o.six
            ):
                row[k] = v
            held = rng.random() < 0.9
            row["org_life_meeting"] = rng.random() < 0.92
            row["appraisal_held"] = held
            part = max(0, n - rng.randint(0, max(0, n // 10))) if held else 0
            row["appraisal_participants"] = part
            row["appraisal_unqualified"] = 1 if part >= 20 and rng.random() < 0.05 else 0
            row["dues_refund"] = _money(rng.randint(2, 12 if not big else 80) * 100)
            row["fiscal_support"] = _money(rng.randint(5, 40) * 500 if rng.random() < 0.4 else 0)
            row["award_subsidy"] = _money(rng.randint(2, 20) * 500 if rng.random() < 0.25 else 0)
        return row

    # --- all ----------------------------------------------------------------------------------------
    def run(self) -> World:
        self._plans: dict = {}
        self.populate()
        for idx, p in enumerate(self.periods):
            self.step(p, idx)
            if self.progress is not None:
                self.progress(p)
        quotas = _quotas(self.tier, self.comm_codes, self.periods, self.rng)
        deadlines = {p: seeds.deadlines().get(p) or (period_end(p) + dt.timedelta(days=15)) for p in self.periods}
        return World(
            communities=self.register,
            periods=list(self.periods),
            returns=self.returns,
            quotas=quotas,
            deadlines=deadlines,
            tier=self.tier,
            seed=self.seed,
        )


def fill_version_fields(ret: dict[str, list[dict]], seed: int, own_developed: dict[str, int] | None = None) -> None:
    """The fields a template version adds (returns.md "(2021.1)"), on a built return, in place.

    Placeholder by stat-intake until stat-indicators models them in the world: simple values that pass the
    intake rules, drawn from their own random stream (keyed by seed, unit and period) so that the world's
    main stream - and every other value - is unchanged.  Returns of a version without the fields get NULL
    (not collected), never 0.

    - 表1: applicants ≥ activists ≥ 0 (R18); developed_here ≤ members_probationary (R18); for a unit with its own
      standalone organization, developed_here = that organization's 表3 发展党员 of the quarter (``own_developed``,
      by USCC; stat-indicators).
    - 表4: organizer_code = the organizing community's unit_code for 社区党总支-level events (X8; the world's
      community events are coded ``SQ<unit_code>-<year>-<n>``), blank for every other level.
    """
    cover = ret["cover"][0]
    version = cover.get("template_version")
    unit, period = cover["unit_code"], cover["period"]
    has = {f.name for form in (ORGANIZATIONS, TRAININGS) for f in form.fields if version_has(f, version)}
    rng = random.Random(f"version-fields-{seed}-{unit}-{period}")
    units = []
    for row in ret["organizations"]:
        row = dict(row, applicants=None, activists=None, developed_here=None)
        if "applicants" in has:
            applicants = rng.randint(0, max(1, row["employees"] // 10)) if row["employees"] else 0
            row["applicants"] = applicants
            row["activists"] = rng.randint(0, applicants) if applicants else 0
            prob = row["members_probationary"] or 0
            row["developed_here"] = rng.randint(0, prob) if prob and rng.random() < 0.3 else 0
            if own_developed and row["uscc"] in own_developed and row["party_status"] == "单独建立":
                row["developed_here"] = min(own_developed[row["uscc"]], prob)
        units.append({n: row[n] for n in ORGANIZATIONS.names})  # the forms' column order
    trainings = []
    for ev in ret["trainings"]:  # events are shared between returns: never change them in place
        code = None
        if "organizer_code" in has and ev["organizer_level"] == "社区党总支":
            code = ev["training_code"][2:].split("-", 1)[0] if ev["training_code"].startswith("SQ") else unit
        trainings.append({n: (code if n == "organizer_code" else ev[n]) for n in TRAININGS.names})
    ret["organizations"], ret["trainings"] = units, trainings


def _quotas(tier, comm_codes, periods, rng) -> dict[tuple[str, int], int]:
    years = sorted({parse_period(p)[0] for p in periods})
    if tier == "district":
        q = seeds.development_quotas()
        keep = set(comm_codes)
        return {k: v for k, v in q.items() if k[0] in keep}
    return {(c, y): rng.randint(2, 5) for c in comm_codes for y in years}


def build_world(
    tier: str = "district",
    start: str = "2019Q1",
    end: str = "2021Q4",
    seed: int = 20201,
    communities: int | None = None,
    progress=None,
) -> World:
    """Build the synthetic world and derive every return from it.

    ``tier``: district (the 60 communities of seeds/communities.csv), city (×10) or province (×100, synthetic
    registers). ``communities`` keeps only the first N communities of the register (small worlds for tests).
    ``progress``: optional callable called with each period once its returns are built.
    """
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; use district, city or province")
    world = _Builder(tier, start, end, seed, communities, progress).run()
    world.stats = world_stats(world)
    return world


def world_stats(world: World) -> dict:
    """Sizes of the last quarter and flows per year (for the summary table and the report)."""
    last = world.periods[-1]
    units = base = eligible = standalone = joint = joint_units = members = inflow = outflow = 0
    base_min = int(seeds.parameters().get("base_min_employees", 10))
    for comm in (c["unit_code"] for c in world.communities):
        ret = world.returns[(comm, last)]
        for r in ret["organizations"]:
            if r["reg_status"] != "存续":
                continue
            units += 1
            social = r["org_category"] != ENTERPRISE
            in_b = social or (r["operating"] and r["fixed_premises"] and r["employees"] >= base_min)
            base += in_b
            eligible += in_b and r["members_formal"] >= 3
            joint_units += r["party_status"] == "联合建立"
        for o in ret["party_orgs"]:
            standalone += o["formation_mode"] == "单独组建"
            joint += o["org_type"] == "联合党支部"
        func = {o["party_org_code"] for o in ret["party_orgs"] if o["formation_mode"] == "功能型"}
        members += sum(f["closing_actual"] for f in ret["member_flows"] if f["party_org_code"] not in func)
        inflow += sum(m["direction"] == "流入" for m in ret["mobile_members"])
        outflow += sum(m["direction"] == "流出" for m in ret["mobile_members"])
    per_year: dict[int, dict] = {}
    for (comm, p), ret in world.returns.items():
        y = parse_period(p)[0]
        d = per_year.setdefault(y, {"developed": 0, "attendance": 0})
        d["developed"] += sum(f["developed"] for f in ret["member_flows"])
        d["attendance"] += len(ret["attendance"])
    return {
        "period": last,
        "units": units,
        "base": base,
        "eligible": eligible,
        "standalone_orgs": standalone,
        "joint_branches": joint,
        "joint_units": joint_units,
        "members": members,
        "inflow": inflow,
        "outflow": outflow,
        "per_year": per_year,
        "party_orgs": sum(len(world.returns[(c["unit_code"], last)]["party_orgs"]) for c in world.communities),
    }


__all__ = ["World", "build_world", "synthetic_register", "world_stats"]
