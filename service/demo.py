"""Demo accounts for `make run`: one per role of the four procedures (several judges), all
with the password in the README."""

from __future__ import annotations

from service.services import accounts
from service.store.db import Database

DEMO_PASSWORD = "xuanpin-demo"

# username, display name, roles, admin
DEMO_USERS: list[tuple[str, str, list[str], bool]] = [
    ("admin", "系统管理员", [], True),
    ("jijian", "纪检监督（赵敏）", ["纪检监督"], False),
    # 揭榜挂帅
    ("gongzuozu", "工作组（孙磊）", ["工作组"], False),
    ("dangweigongzuobu", "党委工作部（周婷）", ["党委工作部"], False),
    ("jifenyuan", "计分员（吴昊）", ["计分员"], False),
    ("dangwei", "党委（郑国强）", ["党委"], False),
    ("danggongbu", "党工部（冯雪）", ["党工部"], False),
    ("shuibeng", "水泵公司党委（何建华）", ["水泵公司党委"], False),
    ("jiebangren", "揭榜人（刘洋）", ["揭榜人"], False),
    # 评委：揭榜挂帅的面试评审组与开发区竞聘的评委
    *[(f"pingwei{i}", f"评委{i}", ["面试评审组", "评委"], False) for i in range(1, 8)],
    # 开发区竞聘上岗
    ("lingdaoban", "领导小组办公室（韩梅）", ["领导小组办公室"], False),
    ("lingdaozu", "领导小组（曹建军）", ["领导小组"], False),
    ("kaochazu", "考察组（彭丽）", ["考察组"], False),
    ("danggongwei", "党工委（蒋涛）", ["党工委"], False),
    ("jingpin", "竞聘者（邓超）", ["竞聘者"], False),
    # 省属企业市场化选聘
    ("qiyedangwei", "企业党委（许文）", ["企业党委"], False),
    ("dongshihui", "董事会（沈立）", ["董事会"], False),
    ("timingwei", "董事会提名委员会（陆平）", ["董事会提名委员会"], False),
    ("shengguoziwei", "省国资委（范志远）", ["省国资委"], False),
    ("zuzhibu", "省委组织部（石静）", ["省委组织部"], False),
    ("shengweilingdao", "省委领导（秘书处）", ["省委领导"], False),
    ("houxuanren", "候选人（罗斌）", ["候选人"], False),
    # 奉化国企招聘与备案
    ("renshi", "企业人事（王芳）", ["企业人事"], False),
    ("jituan", "区属集团（李强）", ["区属集团"], False),
    ("guozi", "区国资管理中心（陈静）", ["区国资管理中心"], False),
    *[(f"kaoguan{i}", f"考官{i}", ["考官"], False) for i in range(1, 4)],
    ("yingpin", "应聘者（林晓）", ["应聘者"], False),
]


# The demo candidates' (fictitious) ID numbers: register an application with one of them and
# that candidate sees it, with their scores, at GET /api/v1/me/applications.
DEMO_ID_NUMBERS: dict[str, str] = {
    "jiebangren": "210502198506120014",
    "jingpin": "210503198603152217",
    "houxuanren": "210102197805150030",
    "yingpin": "330283199504180025",
}


def create_demo_users(db: Database) -> list[str]:
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
