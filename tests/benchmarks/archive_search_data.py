"""Synthetic but realistic archive rows for the archive-search benchmark: 收文 from the county,
city, province and State Council with their 机关代字, titled the way notices are titled (about
twenty title shapes: 关于…的通知, 关于印发《…》的通知, 关于转发《…》的通知, 会议通知, 通报, 批复,
表彰决定 …) over about 150 topics, 15 乡镇, named enterprises and projects; bodies built like
real ones (salutation, purpose, numbered sections of sentences drawn from about 60 templates,
contact line, signature and date). Lengths follow real 收文: titles 12–70 characters (most
20–40), bodies from a two-line 转发 cover note (≈100 characters) to long 实施方案 (≈3,000),
median ≈ 600. Ten years, three 保管期限, ten 机构(问题).

Deterministic (seeded): every run builds and searches the same data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

ISSUERS = [  # (责任者, 机关代字)
    ("国务院", "国发"),
    ("国务院办公厅", "国办发"),
    ("工业和信息化部", "工信部"),
    ("应急管理部", "应急"),
    ("河南省人民政府", "豫政"),
    ("河南省人民政府办公厅", "豫政办"),
    ("河南省工业和信息化厅", "豫工信"),
    ("河南省发展和改革委员会", "豫发改"),
    ("河南省通信管理局", "豫通信"),
    ("河南省财政厅", "豫财"),
    ("漯河市人民政府", "漯政"),
    ("漯河市人民政府办公室", "漯政办"),
    ("漯河市工业和信息化局", "漯工信"),
    ("漯河市生态环境局", "漯环"),
    ("漯河市应急管理局", "漯应急"),
    ("漯河市市场监督管理局", "漯市监"),
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
    ("舞阳县自然资源局", "舞自然资源"),
    ("舞阳县住房和城乡建设局", "舞建"),
    ("舞阳县农业农村局", "舞农"),
    ("舞阳县教育局", "舞教"),
]


def _words(text: str) -> list[str]:
    return text.split()


HIGHER = 10  # the first ten issuers are above the city
TOPICS = _words("""
数字政府建设 数字经济发展 企业数字化转型 安全生产 中小企业服务 优化营商环境
工业互联网 5G基站建设 节能减排 食品安全 防汛抗旱 信息化项目管理 政务公开 乡村振兴
制造业高质量发展 专精特新企业培育 招商引资 统计数据报送 信访稳定 网络安全
迎峰度夏电力保障 消防安全 大气污染防治 科技创新 人才引进 减税降费 农民工工资支付
企业上云 智能制造 新型基础设施建设 国有资产管理 审计整改 党风廉政建设 机关作风建设
档案管理 应急值守 安全生产月活动 绿色工厂创建 工业企业技术改造 产业集聚区发展
电子政务外网 政府网站与政务新媒体 疫情防控 春节期间安全生产 重点项目建设
民营经济发展 规模以上工业企业培育 工业用地清理 闲置低效用地处置 小微企业融资
企业信用体系建设 知识产权保护 质量品牌提升 标准化工作 计量监督检查 特种设备安全
危险化学品安全管理 尾矿库安全 非煤矿山整治 粉尘防爆 有限空间作业 工贸行业安全
电动自行车安全 城镇燃气安全 自建房安全排查 森林防火 秸秆禁烧 扬尘治理 水污染防治
土壤污染防治 固体废物管理 清洁取暖 光伏发电推广 新能源汽车推广 充电桩建设
电力需求侧管理 工业节水 资源综合利用 盐化工产业 食品加工产业集群 纺织服装产业
装备制造产业 钢铁行业超低排放 产业链链长制 项目谋划储备 专项债券项目申报
政府采购管理 预算绩效管理 财政资金监管 惠企政策兑现 助企纾困 稳就业 职业技能培训
高校毕业生就业 退役军人服务 社会保险扩面 医疗保障 养老服务 义务教育 职业教育
文明城市创建 卫生城市创建 爱国卫生运动 全民健身 文化旅游融合 平安建设 扫黑除恶常态化
禁毒工作 反电信网络诈骗 保密工作 意识形态工作 精神文明建设 法治政府建设 行政执法监督
普法宣传 政务服务改革 一网通办 工程建设项目审批 放管服改革 双随机一公开监管
人大代表建议办理 政协委员提案办理 领导干部述职述廉 干部教育培训 基层党组织建设
主题教育 巡察整改 公务接待管理 公务用车管理 节约型机关建设 公共机构节能 办公用房管理
固定资产清查 经济普查 统计执法检查 第五次全国经济普查 农业产业化 高标准农田建设
农村人居环境整治 粮食安全 动物防疫 种业振兴 河长制 林长制 地质灾害防治
地下水超采治理 燃气管道老化更新改造 老旧小区改造 无障碍环境建设 校园安全
食品小作坊治理 药品安全 价格监督检查 消费者权益保护 个体工商户帮扶
""")
TOWNS = _words("""
舞泉镇 吴城镇 北舞渡镇 莲花镇 辛安镇 孟寨镇 太尉镇 侯集镇 九街镇 文峰乡 保和乡
马村乡 姜店乡 章化乡
""")
FIRMS_A = _words("""
宏达 华源 金泰 中原 豫舞 天成 恒通 瑞丰 鑫盛 永兴 盐都 舞钢 润泽 隆昌 汇丰 新亚 嘉禾
福瑞 东方 远航
""")
FIRMS_B = _words("""
食品 机械 化工 纺织 建材 电子 新材料 能源 物流 科技 环保 生物 农业 服装 钢构
""")
FIRMS_C = _words("""
有限公司 股份有限公司 有限责任公司 实业有限公司
""")
PROJECTS = _words("""
年产5万吨 年产10万套 年产30万件 日处理500吨 10兆瓦分布式光伏 智能化改造 技术改造
扩建 二期 仓储物流中心 标准化厂房
""")
VERBS = _words("""
加强 做好 开展 推进 规范 进一步加强 切实做好 深入开展 组织开展 扎实推进 全面加强
持续深化 认真做好 统筹推进 加快推进 严格落实
""")
PLANS = _words("""
实施方案 工作方案 行动计划 管理办法 考核办法 三年行动计划 工作要点 实施细则 应急预案
专项整治方案 评价指标体系 若干措施 指导意见 工作规则
""")
KINDS = _words("""
通知 意见 指导意见 决定 通报 函
""")
CHECKS = _words("""
专项检查 督导检查 排查整治 评估考核 专项行动 集中整治 百日攻坚行动 大排查大整治
隐患排查 监督抽查 第三方评估 年度考核
""")
MATERIALS = _words("""
有关材料 统计报表 进展情况 工作总结 半年工作总结 自查报告 典型案例 意见建议 问题清单
整改台账 项目清单 数据
""")
REGIONS = ["", "全县", "全市", "全省", "我县", "县直机关"]
ADDRESSEES = [
    "各乡镇人民政府，县直有关单位：",
    "各股室、二级机构：",
    "各有关企业：",
    "各县区人民政府，市直有关单位：",
    "各省辖市人民政府，省人民政府各部门：",
    "局机关各股室，局属各单位：",
    "各乡（镇）人民政府，县政府有关部门：",
]
HEADINGS = _words("""
总体要求 工作目标 主要任务 重点工作 实施步骤 保障措施 工作要求 职责分工 时间安排
检查内容 有关要求 组织领导 工作措施 考核奖惩 参会人员 会议时间和地点 报送要求
资金保障
""")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌凯鹏辉"
SENTENCES = [
    "为深入贯彻落实{higher}关于{t}的决策部署，进一步{v}{t}工作，现将有关事项通知如下。",
    "各单位要充分认识{t}的重要意义，切实加强组织领导，明确责任分工，确保各项任务落到实处。",
    "请各股室、二级机构结合实际，认真抓好{t}各项任务落实。",
    "要建立健全工作机制，强化督促检查，确保{t}工作取得实效。",
    "请于{y}年{m}月{d}日前将{t}{mat}报送县工业和信息化局办公室，逾期未报的视为无异议。",
    "对工作不力、措施不实、造成严重后果的单位，将予以通报批评，并依法依规追究相关人员责任。",
    "{town}要落实属地管理责任，对辖区内{n}家重点企业逐一建立台账，实行清单化管理。",
    "截至{m}月底，全县共排查企业{n}家，发现问题隐患{n2}处，已完成整改{n3}处，整改率{p}%。",
    "{firm}{proj}项目总投资{n}万元，计划于{y}年{m}月建成投产，达产后年产值可达{n2}万元。",
    "各有关企业要严格落实主体责任，主要负责人是本单位{t}第一责任人，对本单位{t}工作全面负责。",
    "县{t}工作领导小组办公室设在县工业和信息化局，由{name}同志兼任办公室主任，负责日常工作。",
    "本次{chk}分自查自纠、集中检查、整改提升三个阶段进行，时间从{y}年{m}月至{m2}月。",
    "要坚持问题导向和目标导向，聚焦{t}中的突出问题，拿出务实管用的举措，推动工作提质增效。",
    "{y}年，全县完成{t}投资{n}万元，同比增长{p}%，高于全市平均水平{p2}个百分点。",
    "会议定于{y}年{m}月{d}日上午9时在县政府第{n4}会议室召开，会期半天。",
    "请参会人员提前十分钟到场签到，会议期间请将手机调至静音状态。",
    "各地要加大宣传力度，充分利用广播、电视、微信公众号等媒体，营造全社会关心支持{t}的良好氛围。",
    "对在{t}工作中表现突出的单位和个人，按照有关规定给予表彰奖励。",
    "专项资金实行专款专用，任何单位和个人不得截留、挤占、挪用，审计部门将适时开展专项审计。",
    "要严格执行值班值守和信息报送制度，发生突发事件后，必须在30分钟内电话报告、1小时内书面报告。",
    "{firm}存在安全管理制度不健全、隐患排查不到位、应急演练流于形式等问题，责令限期整改。",
    "经研究，同意{firm}{proj}项目备案，项目建设地点位于{town}产业集聚区，建设期{n4}年。",
    "各单位要对照{t}责任清单，逐项梳理、逐条销号，确保{y}年底前全面完成各项目标任务。",
    "申报材料一式三份，纸质材料与电子版同时报送，电子版发送至指定邮箱。",
    "各单位在执行过程中遇到的问题，请及时向县{t}工作领导小组办公室反馈。",
    "本{kind}自印发之日起施行，原有规定与本{kind}不一致的，以本{kind}为准。",
    "要加强与发展改革、财政、自然资源、生态环境等部门的沟通协调，形成工作合力。",
    "聚焦{t}和{t2}，谋划储备一批打基础、利长远、增后劲的重大项目。",
    "要以{t}为抓手，持续推进{t2}，不断提升群众获得感、幸福感、安全感。",
    "{town}、{town2}等{n4}个乡镇工作进展缓慢，排名靠后，请认真分析原因，限期赶上。",
    "检查组由县{t}工作领导小组成员单位抽调人员组成，采取听取汇报、查阅资料、实地查看等方式进行。",
    "请各单位高度重视，指定专人负责，认真组织填报，确保数据真实、准确、完整、及时。",
    "联系人：{name}，联系电话：0395-7{tel}，电子邮箱：wyx{tel}@163.com。",
    "凡涉及国家秘密的信息一律不得在互联网上发布，严防失泄密事件发生。",
    "全县规模以上工业企业达到{n}家，实现增加值{n2}亿元，同比增长{p}%。",
    "对未按期完成整改的企业，一律依法责令停产停业整顿，并纳入失信联合惩戒名单。",
    "{higher}将对各地{t}工作开展情况进行督导，督导结果纳入年度目标考核。",
    "要坚持“管行业必须管安全、管业务必须管安全、管生产经营必须管安全”，落实部门监管责任。",
    "持续开展“万人助万企”活动，帮助企业解决用工、融资、用地等实际困难{n}个。",
    "请各单位于每月{d}日前通过{t}信息管理平台报送上月工作进展情况。",
    "现将《{higher}关于{v}{t}的{kind}》转发给你们，请结合实际，认真贯彻落实。",
    "根据{higher}统一安排，决定在全县范围内开展{t}{chk}。",
    "培训对象为各乡镇分管负责同志、县直有关单位业务骨干及重点企业安全管理人员，共计{n4}0人。",
    "各单位要把{t}作为一项重要政治任务，摆上重要议事日程，主要领导亲自抓、负总责。",
    "要统筹发展和安全，守牢不发生重大{t}事故的底线，为全县经济社会高质量发展营造良好环境。",
    "{name}同志任县{t}工作领导小组组长，{name2}同志任副组长，成员由县直有关单位负责同志组成。",
    "因人事变动和工作需要，经县政府同意，决定对县{t}工作领导小组成员进行调整。",
    "今年以来，在县委、县政府的坚强领导下，全县{t}工作取得明显成效，但也存在一些不容忽视的问题。",
    "一是思想认识不到位；二是工作措施不扎实；三是部门协作不顺畅；四是基础工作较薄弱。",
    "经评审，{firm}等{n4}家企业被认定为{y}年度{t}示范企业，每家给予{n4}0万元奖补资金。",
    "下一步，我们将以更加务实的作风、更加有力的措施，推动{t}工作再上新台阶。",
    "所需经费由县财政统筹安排，列入年度预算，各单位要严格按照规定使用，提高资金使用效益。",
    "自{y}年{m}月起，{t}纳入全县高质量发展综合考核，考核结果作为评先评优的重要依据。",
    "各单位要认真做好节假日期间{t}工作，严格落实24小时值班和领导带班制度。",
    "要用好{t}专项资金{n}万元，重点支持技术改造、研发创新、品牌建设等项目。",
    "对群众反映强烈的{t}问题，要建立台账、限时办结、跟踪问效，做到件件有着落、事事有回音。",
    "{town}{firm}因违法违规问题被立案调查，处以罚款{n}元，相关责任人被约谈。",
    "各企业要在{y}年{m}月{d}日前完成{t}自查，形成自查报告，经主要负责人签字后报属地乡镇。",
    "本年度共收到{t}相关来信来访{n}件次，已全部按期办结，群众满意率{p}%。",
]
UNITS = ["BGS", "GYG", "XXHG", "AQG", "ZXFW", "JJYX", "FGK", "RSG", "CWG", "DJB"]
RETENTIONS = [("Y", 0.2), ("D30", 0.5), ("D10", 0.3)]
YEARS = list(range(2015, 2025))
NUMERALS = "一二三四五六七八九十"


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


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _firm(rng: random.Random) -> str:
    prefix = rng.choice(["舞阳县", "漯河市", "河南", ""])
    return prefix + rng.choice(FIRMS_A) + rng.choice(FIRMS_B) + rng.choice(FIRMS_C)


def _title(rng: random.Random, issuer: str, year: int, topic: str) -> tuple[str, str]:
    """(title, shape): the shape decides how long the body is."""
    verb, region = rng.choice(VERBS), rng.choice(REGIONS)
    higher = rng.choice(ISSUERS[:HIGHER])[0]
    shapes: list[tuple[float, str, str]] = [
        (0.20, f"关于{verb}{topic}工作的通知", "notice"),
        (
            0.10,
            f"关于印发《{rng.choice(['', f'{year}年'])}{region}{topic}{rng.choice(PLANS)}》的通知",
            "plan",
        ),
        (0.16, f"关于转发《{higher}关于{verb}{topic}的{rng.choice(KINDS)}》的通知", "forward"),
        (0.06, f"{issuer}关于{verb}{topic}的{rng.choice(KINDS)}", "notice"),
        (0.05, f"关于{year}年{region}{topic}工作情况的通报", "report"),
        (0.05, f"关于召开{year}年{region}{topic}工作会议的通知", "meeting"),
        (0.07, f"关于开展{year}年度{topic}{rng.choice(CHECKS)}的通知", "notice"),
        (0.05, f"关于报送{year}年{topic}{rng.choice(MATERIALS)}的通知", "short"),
        (0.03, f"关于表彰{year}年度{topic}先进单位和先进个人的决定", "report"),
        (0.03, f"关于调整舞阳县{topic}工作领导小组成员的通知", "short"),
        (0.04, f"关于{_firm(rng)}{rng.choice(PROJECTS)}项目备案的批复", "short"),
        (
            0.04,
            f"关于{rng.choice(TOWNS)}{topic}{rng.choice(CHECKS)}发现问题整改情况的通报",
            "report",
        ),
        (0.03, f"关于举办{topic}业务培训班的通知", "meeting"),
        (0.03, f"关于征求《{topic}{rng.choice(PLANS)}（征求意见稿）》意见的函", "plan"),
        (0.02, f"关于{topic}和{rng.choice(TOPICS)}有关问题的复函", "short"),
        (0.02, f"关于做好{year}年元旦春节期间{topic}工作的紧急通知", "notice"),
        (0.02, f"{higher}办公室关于{topic}典型案例的通报", "report"),
    ]
    pick = rng.random() * sum(weight for weight, _, _ in shapes)
    for weight, title, shape in shapes:
        pick -= weight
        if pick <= 0:
            return title, shape
    return shapes[0][1], shapes[0][2]


def _sentence(rng: random.Random, topic: str, year: int, kind: str) -> str:
    return rng.choice(SENTENCES).format(
        t=topic,
        t2=rng.choice(TOPICS),
        v=rng.choice(VERBS),
        higher=rng.choice(ISSUERS[:HIGHER])[0],
        mat=rng.choice(MATERIALS),
        chk=rng.choice(CHECKS),
        town=rng.choice(TOWNS),
        town2=rng.choice(TOWNS),
        firm=_firm(rng),
        proj=rng.choice(PROJECTS),
        name=_name(rng),
        name2=_name(rng),
        kind=kind,
        y=year,
        m=rng.randint(1, 12),
        m2=rng.randint(1, 12),
        d=rng.randint(1, 28),
        n=rng.randint(3, 9800),
        n2=rng.randint(2, 5000),
        n3=rng.randint(1, 3000),
        n4=rng.randint(2, 9),
        p=rng.randint(60, 100),
        p2=round(rng.uniform(0.1, 9.9), 1),
        tel=rng.randint(1000000, 9999999),
    )


SECTIONS = {  # shape: (sections min, max), sentences per section (min, max)
    "forward": (0, 0),
    "short": (0, 1),
    "meeting": (2, 4),
    "notice": (2, 5),
    "report": (3, 5),
    "plan": (4, 8),
}


def _body(rng: random.Random, title: str, shape: str, topic: str, issuer: str, day: date) -> str:
    kind = "通知" if title.endswith("通知") else "办法"
    parts = [rng.choice(ADDRESSEES)]
    if shape == "forward":
        parts.append(f"现将{title[4:-3]}转发给你们，请结合实际，认真贯彻落实。")
    else:
        parts.append(_sentence(rng, topic, day.year, kind))
        low, high = SECTIONS[shape]
        for number in range(rng.randint(low, high)):
            parts.append(f"{NUMERALS[number]}、{rng.choice(HEADINGS)}")
            per_section = rng.randint(1, 4) if shape != "plan" else rng.randint(2, 6)
            parts += [_sentence(rng, topic, day.year, kind) for _ in range(per_section)]
        parts.append(_sentence(rng, topic, day.year, kind))
    parts.append(f"联系人：{_name(rng)}，联系电话：0395-7{rng.randint(100000, 999999)}。")
    parts.append(f"{issuer}\n{day.year}年{day.month}月{day.day}日")
    return "\n".join(parts)


def generate(count: int, seed: int = 20221) -> Iterator[Row]:
    rng = random.Random(seed)
    serials: dict[tuple[str, int], int] = {}
    items: dict[tuple[int, str, str], int] = {}
    retention_codes = [code for code, _ in RETENTIONS]
    weights = [weight for _, weight in RETENTIONS]
    # Some topics come up far more often than others (Zipf-like), as in a real 收文 register.
    topic_weights = [1.0 / (rank + 3) for rank in range(len(TOPICS))]
    topics = TOPICS[:]
    rng.shuffle(topics)
    for _ in range(count):
        issuer, code = rng.choice(ISSUERS)
        year = rng.choice(YEARS)
        serial = serials[(code, year)] = serials.get((code, year), 0) + 1
        topic = rng.choices(topics, topic_weights)[0]
        title, shape = _title(rng, issuer, year, topic)
        issued_on = date(year, rng.randint(1, 12), rng.randint(1, 28))
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
            body=_body(rng, title, shape, topic, issuer, issued_on),
            issued_on=issued_on,
            retention=retention,
            unit=unit,
            item_no=item_no,
        )
