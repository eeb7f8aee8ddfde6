"""Plausible Chinese names, citizen IDs and USCCs for the synthetic world.

Every function takes the caller's ``random.Random`` so that the whole world is reproducible from one seed.
Uniqueness is guaranteed with "already issued" sets that are only ever tested for membership (never
iterated), so set order cannot leak into the output.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from liangxin.checks import USCC_ALPHABET, id_check_char, uscc_check_char

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超辉刚平鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文斌海东亮晨峰睿哲"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲桂丹萍红玉兰英慧婷雪琳颖倩洁璐琪晶瑶佳怡欣悦蕾薇梅琴"

# birthplace region codes (GB/T 2260) used for citizen IDs: mostly the province, some migrants
ID_REGIONS = (
    "330102",
    "330105",
    "330106",
    "330108",
    "330110",
    "330122",
    "330182",
    "330203",
    "330302",
    "330402",
    "330521",
    "330621",
    "330702",
    "330881",
    "331002",
    "341202",
    "341221",
    "360102",
    "360721",
    "410102",
    "410823",
    "411302",
    "420102",
    "421127",
    "430104",
    "431102",
    "510104",
    "511321",
    "362424",
    "350583",
)

PLACE_WORDS = (
    "金桥 银杏 枫林 桂园 东湖 西溪 南山 北苑 文华 翠屏 新城 滨江 华盛 宏远 恒达 鼎信 瑞丰 博雅 启航 卓越 "
    "远景 晨光 明德 嘉禾 君安 正泰 和顺 天成 永盛 汇通 星辰 蓝海 绿源 锦程 鸿运 聚力 众创 同创 汇智 睿思 "
    "中科 华创 数联 云帆 智源 德信 安达 兴业 长青 泰和 盛世 新航 凯瑞 思远 诚信 华泰 鑫源 万象 天润 光大"
).split()
ENTERPRISE_TRADES = {
    "C": ("机械制造", "电子科技", "精密仪器", "食品", "服饰", "包装材料", "新材料"),
    "E": ("建筑工程", "装饰工程", "市政工程"),
    "F": ("商贸", "贸易", "供应链管理", "超市"),
    "G": ("物流", "运输", "快递服务"),
    "H": ("餐饮管理", "酒店管理", "餐饮"),
    "I": ("信息技术", "网络科技", "软件", "数据服务", "智能科技"),
    "K": ("置业", "物业管理", "房地产经纪"),
    "L": ("企业管理咨询", "人力资源", "广告", "会展服务"),
    "M": ("工程设计", "检测技术", "环境科技", "生物科技"),
    "O": ("家政服务", "汽车维修", "美容美发"),
    "P": ("教育科技", "培训"),
    "Q": ("健康管理", "医疗器械", "养老服务"),
    "R": ("文化传媒", "文化创意", "体育发展"),
}
ENTERPRISE_SUFFIX = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")
INDUSTRY_WEIGHTS = (
    ("C", 12),
    ("E", 6),
    ("F", 30),
    ("G", 6),
    ("H", 8),
    ("I", 12),
    ("K", 5),
    ("L", 10),
    ("M", 5),
    ("O", 4),
    ("P", 2),
    ("Q", 2),
    ("R", 3),
)
SOCIAL_NAME = {
    "社会团体": ("{p}商会", "示范区{p}行业协会", "示范区{p}志愿者协会", "{p}文化促进会", "示范区{p}商会"),
    "民办非企业单位": ("{p}社会工作服务中心", "{p}养老服务中心", "{p}幼儿园", "{p}培训学校", "{p}社区服务中心"),
    "基金会": ("{p}公益基金会", "{p}慈善基金会"),
    "律师事务所": ("浙江{p}律师事务所",),
    "会计师事务所": ("{p}会计师事务所（普通合伙）",),
    "税务师事务所": ("{p}税务师事务所有限公司",),
}
SOCIAL_INDUSTRY = {
    "社会团体": "S",
    "民办非企业单位": "Q",
    "基金会": "S",
    "律师事务所": "L",
    "会计师事务所": "L",
    "税务师事务所": "L",
}
USCC_PREFIX = {
    "非公有制企业": "91",
    "社会团体": "51",
    "民办非企业单位": "52",
    "基金会": "53",
    "律师事务所": "31",
    "会计师事务所": "91",
    "税务师事务所": "91",
}
HOME_ORG_TEMPLATES = (
    "{prov}{county}{town}镇{village}村党支部",
    "{prov}{county}{town}街道{village}社区党委",
    "{prov}{county}{village}中学党支部",
    "{prov}{county}{town}镇机关党支部",
)
PROVINCES = ("河南省", "安徽省", "江西省", "湖南省", "湖北省", "四川省", "贵州省", "浙江省", "福建省", "山东省")
HOME_COUNTY = (
    "临泉县",
    "固始县",
    "上饶县",
    "祁东县",
    "巴东县",
    "仁寿县",
    "遵义县",
    "淳安县",
    "龙泉市",
    "泗县",
    "太和县",
    "商城县",
    "鄱阳县",
    "邵东县",
    "广安县",
)


def person_name(rng: random.Random, female: bool) -> str:
    given = GIVEN_FEMALE if female else GIVEN_MALE
    n = 1 if rng.random() < 0.35 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(n))


class Issuer:
    """Issues unique citizen IDs, USCCs and names-with-suffixes (membership-only sets)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._ids: set[str] = set()
        self._usccs: set[str] = set()
        self._names: set[str] = set()

    # --- people -----------------------------------------------------------------------------------
    def birth_date(self) -> dt.date:
        rng = self.rng
        r = rng.random()
        if r < 0.85:
            year = rng.randint(1975, 1995)
        elif r < 0.95:
            year = rng.randint(1960, 1974)
        else:
            year = rng.randint(1996, 2000)
        return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))

    def citizen_id(self, female: bool, birth: dt.date | None = None) -> str:
        rng = self.rng
        birth = birth or self.birth_date()
        while True:
            seq = rng.randrange(100)
            sex_digit = rng.choice("02468" if female else "13579")
            body = f"{rng.choice(ID_REGIONS)}{birth:%Y%m%d}{seq:02d}{sex_digit}"
            code = body + id_check_char(body)
            if code not in self._ids:
                self._ids.add(code)
                return code

    def person(self, female_share: float = 0.3) -> tuple[str, str]:
        """(name, citizen ID) of a new person; ~30% female."""
        female = self.rng.random() < female_share
        return person_name(self.rng, female), self.citizen_id(female)

    # --- units ------------------------------------------------------------------------------------
    def uscc(self, category: str, region: str) -> str:
        return self.uscc_with_prefix(USCC_PREFIX[category], region)

    def uscc_with_prefix(self, prefix: str, region: str) -> str:
        rng = self.rng
        alphabet = USCC_ALPHABET
        while True:
            if prefix.startswith("9"):
                body = prefix + region + "MA" + "".join(rng.choice(alphabet) for _ in range(7))
            else:
                body = (
                    prefix
                    + region
                    + "".join(rng.choice(alphabet[:10]) for _ in range(2))
                    + "".join(rng.choice(alphabet) for _ in range(7))
                )
            code = body + uscc_check_char(body)
            if code not in self._usccs:
                self._usccs.add(code)
                return code

    def unique_name(self, make) -> str:
        """Call ``make()`` until it returns a name not issued yet (adds a numeric branch suffix if needed)."""
        for _ in range(20):
            name = make()
            if name not in self._names:
                self._names.add(name)
                return name
        base = make()
        i = 2
        while f"{base}（{i}）" in self._names:
            i += 1
        self._names.add(f"{base}（{i}）")
        return f"{base}（{i}）"

    def enterprise_name(self, industry: str, district_name: str) -> str:
        rng = self.rng
        trades = ENTERPRISE_TRADES.get(industry, ("商贸",))

        def make() -> str:
            lead = rng.choice(PLACE_WORDS)
            if rng.random() < 0.5:
                lead += rng.choice(PLACE_WORDS)
            head = district_name if rng.random() < 0.3 else "浙江" if rng.random() < 0.2 else ""
            return f"{head}{lead}{rng.choice(trades)}{rng.choice(ENTERPRISE_SUFFIX)}"

        return self.unique_name(make)

    def social_name(self, category: str, district_name: str) -> str:
        rng = self.rng

        def make() -> str:
            p = rng.choice(PLACE_WORDS) + (rng.choice(PLACE_WORDS) if rng.random() < 0.4 else "")
            return rng.choice(SOCIAL_NAME[category]).format(p=p).replace("示范区", district_name)

        return self.unique_name(make)

    def home_org(self) -> str:
        rng = self.rng
        return rng.choice(HOME_ORG_TEMPLATES).format(
            prov=rng.choice(PROVINCES),
            county=rng.choice(HOME_COUNTY),
            town=rng.choice(PLACE_WORDS),
            village=rng.choice(PLACE_WORDS),
        )


def weighted(rng: random.Random, pairs) -> str:
    """Pick a key from ((key, weight), ...) pairs."""
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for k, w in pairs:
        x -= w
        if x < 0:
            return k
    return pairs[-1][0]


def poisson(rng: random.Random, lam: float) -> int:
    """Small-lambda Poisson draw (Knuth); lam is capped at 30 for speed (normal approximation above)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, lam**0.5))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
