"""Synthetic but realistic archive rows for the archive-search benchmark: 收文 from the county,
city, province and State Council, with their 机关代字, titles built the way notices are titled
(关于…的通知, 关于印发《…》的通知, 关于转发《…》的通知), short bodies, ten years, three 保管期限
and ten 机构(问题). Deterministic (seeded), so every run searches the same data."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

ISSUERS = [  # (责任者, 机关代字)
    ("国务院", "国发"),
    ("国务院办公厅", "国办发"),
    ("河南省人民政府", "豫政"),
    ("河南省人民政府办公厅", "豫政办"),
    ("河南省工业和信息化厅", "豫工信"),
    ("河南省发展和改革委员会", "豫发改"),
    ("河南省通信管理局", "豫通信"),
    ("漯河市人民政府", "漯政"),
    ("漯河市人民政府办公室", "漯政办"),
    ("漯河市工业和信息化局", "漯工信"),
    ("漯河市生态环境局", "漯环"),
    ("漯河市应急管理局", "漯应急"),
    ("中共舞阳县委办公室", "舞办"),
    ("舞阳县人民政府", "舞政"),
    ("舞阳县人民政府办公室", "舞政办"),
    ("舞阳县工业和信息化局", "舞工信"),
    ("舞阳县发展和改革委员会", "舞发改"),
    ("舞阳县财政局", "舞财"),
    ("舞阳县应急管理局", "舞应急"),
    ("舞阳县市场监督管理局", "舞市监"),
    ("舞阳县统计局", "舞统"),
    ("舞阳县人力资源和社会保障局", "舞人社"),
]
TOPICS = [
    "数字政府建设",
    "数字经济发展",
    "企业数字化转型",
    "安全生产",
    "中小企业服务",
    "优化营商环境",
    "工业互联网",
    "5G基站建设",
    "节能减排",
    "食品安全",
    "防汛抗旱",
    "信息化项目管理",
    "政务公开",
    "乡村振兴",
    "制造业高质量发展",
    "专精特新企业培育",
    "招商引资",
    "统计数据报送",
    "信访稳定",
    "网络安全",
    "迎峰度夏电力保障",
    "消防安全",
    "大气污染防治",
    "科技创新",
    "人才引进",
    "减税降费",
    "农民工工资支付",
    "企业上云",
    "智能制造",
    "新型基础设施建设",
    "国有资产管理",
    "审计整改",
    "党风廉政建设",
    "机关作风建设",
    "档案管理",
    "应急值守",
    "安全生产月活动",
    "绿色工厂创建",
    "工业企业技术改造",
    "产业集聚区发展",
    "电子政务外网",
    "政府网站与政务新媒体",
    "疫情防控",
    "春节期间安全生产",
    "重点项目建设",
    "民营经济发展",
]
VERBS = ["加强", "做好", "开展", "推进", "规范", "进一步加强", "切实做好", "深入开展", "组织开展"]
PLANS = ["实施方案", "工作方案", "行动计划", "管理办法", "考核办法", "三年行动计划", "工作要点"]
KINDS = ["通知", "意见", "指导意见", "决定", "通报"]
SENTENCES = [
    "为深入贯彻落实上级关于{t}的决策部署，进一步{v}{t}工作，现将有关事项通知如下。",
    "各单位要充分认识{t}的重要意义，切实加强组织领导，明确责任分工。",
    "请各股室、二级机构结合实际，认真抓好{t}各项任务落实。",
    "要建立健全工作机制，强化督促检查，确保{t}工作取得实效。",
    "请于每季度末将{t}工作进展情况报送县工业和信息化局办公室。",
    "对工作不力、措施不实的单位，将予以通报批评。",
    "联系人：办公室，联系电话：0395-7xxxxxx。",
]
UNITS = ["BGS", "GYG", "XXHG", "AQG", "ZXFW", "JJYX", "FGK", "RSG", "CWG", "DJB"]
RETENTIONS = [("Y", 0.2), ("D30", 0.5), ("D10", 0.3)]
YEARS = list(range(2015, 2025))


@dataclass
class Row:
    doc_number: str
    issuer_code: str
    year: int
    serial: int
    title: str
    issuer: str
    body: str
    issued_on: date
    retention: str
    unit: str
    item_no: int


def _title(rng: random.Random, issuer: str, year: int) -> str:
    topic, verb = rng.choice(TOPICS), rng.choice(VERBS)
    shape = rng.random()
    if shape < 0.40:
        return f"关于{verb}{topic}工作的通知"
    if shape < 0.60:
        return f"关于印发《{rng.choice(['', f'{year}年'])}{topic}{rng.choice(PLANS)}》的通知"
    if shape < 0.80:
        higher, _ = rng.choice(ISSUERS[:7])
        return f"关于转发《{higher}关于{verb}{topic}的{rng.choice(KINDS)}》的通知"
    if shape < 0.92:
        return f"{issuer}关于{verb}{topic}的{rng.choice(KINDS)}"
    return f"关于{year}年{topic}工作情况的通报"


def _body(rng: random.Random, title: str) -> str:
    topic = rng.choice(TOPICS)
    count = rng.randint(4, 7)
    return (
        "".join(s.format(t=topic, v=rng.choice(VERBS)) for s in rng.sample(SENTENCES, count))
        + f"（{title}）"
    )


def generate(count: int, seed: int = 20221) -> Iterator[Row]:
    rng = random.Random(seed)
    serials: dict[tuple[str, int], int] = {}
    items: dict[tuple[int, str, str], int] = {}
    retention_codes = [code for code, _ in RETENTIONS]
    weights = [weight for _, weight in RETENTIONS]
    for _ in range(count):
        issuer, code = rng.choice(ISSUERS)
        year = rng.choice(YEARS)
        serial = serials[(code, year)] = serials.get((code, year), 0) + 1
        title = _title(rng, issuer, year)
        retention = rng.choices(retention_codes, weights)[0]
        unit = rng.choice(UNITS)
        item_no = items[(year, retention, unit)] = items.get((year, retention, unit), 0) + 1
        yield Row(
            doc_number=f"{code}〔{year}〕{serial}号",
            issuer_code=code,
            year=year,
            serial=serial,
            title=title,
            issuer=issuer,
            body=_body(rng, title),
            issued_on=date(year, rng.randint(1, 12), rng.randint(1, 28)),
            retention=retention,
            unit=unit,
            item_no=item_no,
        )
