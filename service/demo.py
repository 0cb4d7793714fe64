"""Demo organisations and accounts for `make run`: one account per role of the four procedures
(several judges), each in its organisation, all with the password in the README."""

from __future__ import annotations

from service.services import accounts, organisations
from service.services.principal import Principal
from service.store.db import Database

DEMO_PASSWORD = "xuanpin-demo"

# code, name, kind, parent: a district under its SOE centre, the province, a development zone;
# 揭榜挂帅 runs in the default organisation (本单位).
DEMO_ORGANISATIONS: list[tuple[str, str, str, str | None]] = [
    ("fh-guozi", "宁波市奉化区国有资产管理中心", "区国资管理中心", None),
    ("fh-jiaotou", "宁波市奉化区交通投资集团有限公司", "集团", "fh-guozi"),
    ("fh-jiaotou-yunshu", "奉化区交投公共交通运输有限公司", "企业", "fh-jiaotou"),
    ("fh-jiaotou-jianshe", "奉化区交投工程建设有限公司", "企业", "fh-jiaotou"),
    ("fh-chengtou", "宁波市奉化区城市建设投资集团有限公司", "集团", "fh-guozi"),
    ("fh-chengtou-zhiye", "奉化区城投置业有限公司", "企业", "fh-chengtou"),
    ("sheng-guoziwei", "省人民政府国有资产监督管理委员会", "省国资委", None),
    ("sheng-nengyuan", "省能源集团有限公司", "企业", "sheng-guoziwei"),
    ("sheng-jiaotou", "省交通投资集团有限公司", "企业", "sheng-guoziwei"),
    ("kfq", "经济技术开发区管理委员会", "开发区", None),
]

FH, FH_YUNSHU, FH_JIANSHE = "fh-guozi", "fh-jiaotou-yunshu", "fh-jiaotou-jianshe"
SS, SS_NENGYUAN, KFQ = "sheng-guoziwei", "sheng-nengyuan", "kfq"

# username, display name, roles (角色@机构代码, * with subordinates), admin
DEMO_USERS: list[tuple[str, str, list[str], bool]] = [
    ("admin", "系统管理员", [], True),
    (
        "jijian",
        "纪检监督（赵敏）",
        ["纪检监督", f"纪检监督@{FH}*", f"纪检监督@{SS}*", f"纪检监督@{KFQ}*"],
        False,
    ),
    # 揭榜挂帅 (本单位)
    ("gongzuozu", "工作组（孙磊）", ["工作组"], False),
    ("dangweigongzuobu", "党委工作部（周婷）", ["党委工作部"], False),
    ("jifenyuan", "计分员（吴昊）", ["计分员"], False),
    ("dangwei", "党委（郑国强）", ["党委"], False),
    ("mingti", "命题人（党委指定，孟涛）", ["命题人"], False),
    ("danggongbu", "党工部（冯雪）", ["党工部"], False),
    ("shuibeng", "水泵公司党委（何建华）", ["水泵公司党委"], False),
    ("jiebangren", "揭榜人（刘洋）", ["揭榜人"], False),
    # 评委：揭榜挂帅的面试评审组与开发区竞聘的评委
    *[(f"pingwei{i}", f"评委{i}", ["面试评审组", f"评委@{KFQ}"], False) for i in range(1, 8)],
    # 开发区竞聘上岗
    ("lingdaoban", "领导小组办公室（韩梅）", [f"领导小组办公室@{KFQ}"], False),
    ("lingdaozu", "领导小组（曹建军）", [f"领导小组@{KFQ}"], False),
    ("kaochazu", "考察组（彭丽）", [f"考察组@{KFQ}"], False),
    ("danggongwei", "党工委（蒋涛）", [f"党工委@{KFQ}"], False),
    ("jingpin", "竞聘者（邓超）", [f"竞聘者@{KFQ}"], False),
    # 省属企业市场化选聘：企业的党委、董事会在企业，省国资委、组织部在省里
    ("qiyedangwei", "企业党委（许文）", [f"企业党委@{SS_NENGYUAN}"], False),
    ("dongshihui", "董事会（沈立）", [f"董事会@{SS_NENGYUAN}"], False),
    ("timingwei", "董事会提名委员会（陆平）", [f"董事会提名委员会@{SS_NENGYUAN}"], False),
    ("zongjingli", "总经理（郑东）", [f"总经理@{SS_NENGYUAN}"], False),
    ("shengguoziwei", "省国资委（范志远）", [f"省国资委@{SS}"], False),
    ("zuzhibu", "省委组织部（石静）", [f"省委组织部@{SS}"], False),
    ("shengweilingdao", "省委领导（秘书处）", [f"省委领导@{SS}"], False),
    ("houxuanren", "候选人（罗斌）", [f"候选人@{SS}*"], False),
    # 奉化国企招聘与备案：企业人事在各企业，区属集团在集团，区国资管理中心在区里
    ("renshi", "交投运输人事（王芳）", [f"企业人事@{FH_YUNSHU}"], False),
    ("renshi_jianshe", "交投建设人事（钱伟）", [f"企业人事@{FH_JIANSHE}"], False),
    ("renshi_zhiye", "城投置业人事（孔丽）", ["企业人事@fh-chengtou-zhiye"], False),
    ("jituan", "交投集团（李强）", ["区属集团@fh-jiaotou"], False),
    ("jituan_chengtou", "城投集团（黄磊）", ["区属集团@fh-chengtou"], False),
    ("guozi", "区国资管理中心（陈静）", [f"区国资管理中心@{FH}"], False),
    *[(f"kaoguan{i}", f"考官{i}", [f"考官@{FH}*"], False) for i in range(1, 4)],
    ("yingpin", "应聘者（林晓）", [f"应聘者@{FH}*"], False),
]


# The demo candidates' (fictitious) ID numbers: register an application with one of them and
# that candidate sees it, with their scores, at GET /api/v1/me/applications.
DEMO_ID_NUMBERS: dict[str, str] = {
    "jiebangren": "210502198506120014",
    "jingpin": "210503198603152217",
    "houxuanren": "210102197805150030",
    "yingpin": "330283199504180025",
}


def create_demo_organisations(db: Database) -> None:
    admin = Principal(username="demo", is_admin=True)
    known = {org.code for org in organisations.list_organisations(db)}
    for code, name, kind, parent in DEMO_ORGANISATIONS:
        if code not in known:
            organisations.create(db, admin, organisations.OrganisationInput(code, name, kind, parent))


def create_demo_users(db: Database) -> list[str]:
    create_demo_organisations(db)
    for username, name, roles, admin in DEMO_USERS:
        accounts.add_user(
            db,
            username,
            DEMO_PASSWORD,
            roles,
            is_admin=admin,
            display_name=name,
            replace=True,
            id_number=DEMO_ID_NUMBERS.get(username),
        )
    return [username for username, *_ in DEMO_USERS]
