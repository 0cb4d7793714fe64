"""Chinese labels for variable names: from the forms of a definition (field titles, nested
ones included) and, for the built-in processes, from docs/glossary.md when it is beside the code."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# What each audit event's action is called: the trail, the history and the dossier show
# these; every action the services record has one (tests/test_audit.py checks).
ACTION_LABELS = {
    "instance.started": "发起流程",
    "instance.completed": "流程结束",
    "instance.retried": "出错实例重试",
    "instance.repaired": "修复实例",
    "instance.cancelled": "撤销流程实例",
    "instance.suspended": "挂起流程实例",
    "instance.resumed": "恢复挂起的流程实例",
    "instance.moved": "移动办理位置（修复）",
    "instance.migrated": "迁移到新版本",
    "task.opened": "生成待办",
    "task.claimed": "认领任务",
    "task.unclaimed": "退回认领",
    "task.completed": "办结任务",
    "task.returned": "退回",
    "task.withdrawn": "撤回",
    "task.cancelled": "任务撤销",
    "task.assigned_back": "退回原办理人",
    "data.reverted": "退回撤销数据变更",
    "task.transferred": "转办",
    "task.delegated": "委派",
    "task.resolved": "委派办理完毕交回",
    "task.cc": "抄送",
    "cc.read": "阅读抄送",
    "task.urged": "催办",
    "task.commented": "填写审批意见",
    "task.signers_added": "加签",
    "task.signer_removed": "减签",
    "task.signed": "加签人签署",
    "task.submitted_for_signoff": "提交待加签人签署",
    "file.uploaded": "上传附件",
    "data.changed": "数据变更",
    "timer.scheduled": "设定定时器",
    "timer.fired": "定时器到期",
    "timer.failed": "定时器执行出错",
    "message.thrown": "发出消息",
    "message.received": "接收外部消息",
    "webhook.created": "新建事件订阅",
    "webhook.deleted": "删除事件订阅",
    "webhook.saved": "修改事件订阅",
    "webhook.secret_rotated": "更换事件订阅密钥",
    "webhook.redelivered": "重新投递事件",
    "contact.saved": "设置用户联系方式",
    "deadlines.recomputed": "按日历调整重算期限",
    "deadlines.recompute_failed": "按新日历重算期限失败",
    "work.interrupted": "工作进程被终止，办理中断",
    "calendar.seeded": "载入法定节假日",
    "calendar.day_set": "设置日历",
    "calendar.day_deleted": "删除日历调整",
    "calendar.imported": "导入全年日历",
    "definition.deployed": "部署流程",
    "user.created": "新建用户",
    "organisation.created": "新建机构",
    "organisation.updated": "修改机构",
    "user.saved": "修改用户",
    "token.created": "签发接入令牌",
    "token.revoked": "撤销接入令牌",
    "user.deactivated": "停用用户",
    "user.reactivated": "重新启用用户",
    "auth.login": "登录",
    "auth.failed": "登录失败",
    "auth.locked": "登录被暂停",
    "dossier.exported": "导出纪实档案",
    "retention.purged": "按保留期限清除案件工作数据",
    "retention.applied": "执行保留期限策略",
}


# Names the built-in procedures compute in scripts (asked in no form, not yet in the glossary);
# a definition's own form titles and glossary labels come first.
COMMON_LABELS = {
    "yingpin_mingdan": "应聘人员名单",
    "shenqing_list": "揭榜申请",
    "baoming": "报名",
    "baoming_renyuan": "报名人员",
    "jingpin_renyuan": "竞聘人员",
    "baoming_tongji": "报名人数统计",
    "gangwei_list": "岗位",
    "weitianbu_gangwei": "未填补岗位",
    "piyi_luoxuan": "第一批次落选人员",
    "quxiao_renyuan": "取消资格人员",
    "hege_renshu": "资格审查合格人数",
    "hege_mingdan": "资格审查合格名单",
    "hege_houxuanren": "资格审查合格人选",
    "zige_hege": "资格审查合格",
    "shouli": "受理",
    "liyou": "理由",
    "bili_jieguo": "开考比例核算结果",
    "chae_dabiao": "差额比例达标",
    "chae_renshu": "差额人数",
    "juli_tuixiu": "距法定退休（年）",
    "kaoguan_pingfen": "考官评分",
    "pingfen_biao": "评委评分表",
    "pingfen_jilu": "评委评分记录",
    "kaoguan": "考官",
    "pingwei": "评委",
    "kaoguan_defen": "各考官评分",
    "pingwei_defen": "各评委评分",
    "huibi_pingwei": "回避的评委",
    "pingfen_buzu": "有效评分不足",
    "mianshi_chengji": "面试成绩",
    "defen": "得分",
    "mianshi": "面试成绩",
    "bishi": "笔试成绩",
    "chengji": "成绩与排名",
    "zongchengji": "总成绩",
    "zong_chengji": "总成绩",
    "mingci": "名次",
    "rank": "名次",
    "tied": "并列",
    "ruwei_zige": "入围考察",
    "paiming": "排名",
    "kaocha_jianyi": "考察对象建议",
    "kaocha_duixiang": "考察对象",
    "dierlun_jilu": "第二轮答辩记录",
    "bingli_duixiang": "并列人选",
    "quanbu_dibao": "全部低于 80 分",
    "chouti_jilu": "抽题记录",
    "chouqian_zhongzi": "抽签种子",
    "zhongzi": "抽签种子",
    "timu": "抽取的题目",
    "yanjiang_shunxu": "演讲顺序（抽签）",
    "xuhao": "序号",
    "ni_pinyong": "拟聘用人员",
    "luyong_mingdan": "录用名单",
    "luyong": "录用",
    "pinyong_jieguo": "聘用结果",
    "pinqi_nian": "聘期（年）",
    "pinqi_zhongzhi": "聘期终止日期",
    "renqi_jieshu": "任期结束",
    "gongshi_lishi": "公示记录",
    "gongshi_neirong": "公示内容",
    "gongshi_kaishi": "公示开始日期",
    "gongshi_jiezhi": "公示截止",
    "gongshi_tianshu": "公示天数",
    "gongshi_gongzuori": "按工作日计算",
    "gongshi_jieguo": "公示结果",
    "gongshi_yiyi": "公示异议",
    "gongshi_shouli_juese": "异议受理角色",
    "gongshi_hecha_juese": "异议核查角色",
    "guidang_cailiao": "归档材料",
    "gonggao": "公告",
    "biaoti": "标题",
    "riqi": "日期",
    "mingcheng": "名称",
    "cengji": "层级",
    "pici": "批次",
    "bangdan_zhuangtai": "榜单状态",
    "jiebang_jiezhi": "揭榜截止",
    "beian_bianhao": "备案编号",
    "banli_xuhao": "办理序号",
    "jihua_gangwei_leibie": "计划岗位类别",
    "xinchou_zongshuiping": "薪酬总水平",
    "mubiao_niandu_xinchou": "目标年度薪酬",
    "xinchou_weigui": "薪酬结构问题",
}


def case_labels(forms: Mapping[str, Any], process_key: str | None = None) -> dict[str, str]:
    """Every label a case's records can use: the common computed names, the definition's forms
    and glossary, and "parent.field" labels for nested fields."""
    return {**COMMON_LABELS, **collect_labels(forms, process_key), **qualified_labels(forms)}


def collect_labels(forms: Mapping[str, Any], process_key: str | None = None) -> dict[str, str]:
    """variable (or nested field) name -> Chinese label, from every form of the definition and,
    for the built-in processes, from the glossary."""
    labels: dict[str, str] = dict(_glossary_labels().get(process_key or "", {}))

    def walk(schema: Any) -> None:
        if not isinstance(schema, Mapping):
            return
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, Mapping):
                if sub.get("title"):
                    labels.setdefault(name, str(sub["title"]))
                walk(sub)
        walk(schema.get("items"))
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(keyword) or []:
                walk(branch)
        for keyword in ("then", "else"):
            walk(schema.get(keyword))

    for schema in forms.values():
        walk(schema)
    return labels


@lru_cache(maxsize=1)
def _glossary_labels() -> dict[str, dict[str, str]]:
    from service.devdocs import GLOSSARY, TO_FILL, parse_glossary

    if not GLOSSARY.exists():
        return {}
    sections = parse_glossary(GLOSSARY.read_text(encoding="utf-8"))
    return {
        key: {name: label for name, (label, _meaning, _steps) in rows.items() if label and label != TO_FILL}
        for key, rows in sections.items()
    }


def qualified_labels(forms: Mapping[str, Any]) -> dict[str, str]:
    """ "parent.field" -> label for fields nested in another (a family member's 姓名 inside the
    application, not the applicant's), so the same name can read differently where it sits."""
    labels: dict[str, str] = {}

    def walk(schema: Any, parent: str | None) -> None:
        if not isinstance(schema, Mapping):
            return
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, Mapping):
                if parent and sub.get("title"):
                    labels.setdefault(f"{parent}.{name}", str(sub["title"]))
                walk(sub, name)
        walk(schema.get("items"), parent)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(keyword) or []:
                walk(branch, parent)
        for keyword in ("then", "else"):
            walk(schema.get(keyword), parent)

    for schema in forms.values():
        walk(schema, None)
    return labels
