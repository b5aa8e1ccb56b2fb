"""The catalogue of named facts a rubric rule may bind to (``fact:`` or an expression's symbol).

Each fact is named once, here: its name, unit, the period it covers, what it means and where its
value comes from. Most come from the branch's records and are computed for a whole cycle at once by
:mod:`chuangxing.facts.compute` (one function per fact, keyed by the same name, whose docstring says
exactly how); the satisfaction rates come from the surveys, and a few facts no record holds are
typed in by a person. The rubric core only needs to know the names exist, so the validator can
reject an unknown one. A rubric may also declare facts of its own (``facts:`` in the file) for
inputs no record holds.
"""

from __future__ import annotations

from dataclasses import dataclass

CYCLE, AT_END = "cycle", "at_end"   # over the cycle's period / as of the period's last day
RECORDS, SURVEYS, MANUAL = "records", "surveys", "manual"   # computed from records / survey results / typed in


@dataclass(frozen=True)
class Fact:
    name: str
    unit: str            # count, percent (0–100), number, days, bool, items (a list of ids), text
    period: str          # CYCLE or AT_END
    description: str
    source: str = RECORDS   # RECORDS, SURVEYS or MANUAL
    empty: str | None = None   # what an empty value (None) means; None: an empty value is unknown


_FACTS = [
    # 组织设置
    Fact("party_members", "count", AT_END, "党员人数（正式党员与预备党员）"),
    Fact("full_members", "count", AT_END, "正式党员人数"),
    Fact("has_committee", "bool", AT_END, "是否设立支部委员会"),
    Fact("committee_required_missing", "bool", AT_END, "有党员7人以上，未设立支部委员会"),
    Fact("has_discipline_member", "bool", AT_END, "支部委员会是否设有纪律检查委员"),
    Fact("party_groups", "count", AT_END, "党小组个数"),
    Fact("groups_required_missing", "bool", AT_END, "党员15名以上，党小组少于2个"),
    Fact("members_not_managed", "count", AT_END, "未纳入党支部管理的党员人数"),
    Fact("transfers_overdue", "count", CYCLE, "应转未转组织关系逾期1个月以上的党员人数"),
    Fact("lost_contact_members", "count", CYCLE, "失联党员、口袋党员人数"),
    Fact("members_out_of_contact_3_months", "count", CYCLE, "3个月以上不联系或长期联系不上的党员人数"),
    # 换届与书记
    Fact("term_overdue", "bool", AT_END, "支部委员会任期届满未按期换届"),
    Fact("term_overdue_days", "days", AT_END, "超过任期届满日的天数（未超期为0）"),
    Fact("secretary_vacancy_days", "days", CYCLE, "考核期内党支部书记空缺的最长连续天数"),
    Fact("secretary_vacant", "bool", AT_END, "期末党支部书记空缺"),
    Fact("secretary_test_score", "number", CYCLE, "党支部书记应知应会测试成绩（未参加为空）", empty="未参加测试"),
    Fact("secretary_trained", "bool", CYCLE, "党支部书记参加上级党建业务培训", source=MANUAL),
    Fact("secretary_gave_lecture", "bool", CYCLE, "党支部书记讲过党课"),
    # 组织生活
    Fact("general_meetings_held", "count", CYCLE, "支部党员大会次数"),
    Fact("committee_meetings_held", "count", CYCLE, "支委会次数"),
    Fact("group_meetings_held", "count", CYCLE, "党小组会次数"),
    Fact("party_lectures_held", "count", CYCLE, "党课次数"),
    Fact("theme_days_held", "count", CYCLE, "开展主题党日的月份数"),
    Fact("months_without_theme_day", "count", CYCLE, "没有主题党日的月份数"),
    Fact("three_meetings_shortfall", "count", CYCLE, "“三会一课”与“统一活动日”少于规定次数的合计"),
    Fact("org_life_meeting_held", "bool", CYCLE, "召开专题组织生活会"),
    Fact("leaders_absent_from_org_life", "count", CYCLE, "不参加党支部组织生活会的党员领导干部人数"),
    Fact("democratic_review_held", "bool", CYCLE, "开展民主评议党员"),
    Fact("heart_talks_held", "bool", CYCLE, "开展谈心谈话"),
    Fact("participation_rate_avg", "percent", CYCLE, "组织生活平均参与率（%）"),
    Fact("participation_rate_min", "percent", CYCLE, "组织生活最低参与率（%）"),
    Fact("meetings_below_80pct", "count", CYCLE, "党员参与率低于80%的组织生活次数"),
    Fact("study_participation_rate", "percent", CYCLE, "党员学习参与率（%）"),
    Fact("study_hours_below_required", "count", CYCLE, "学时未达规定（普通党员24、班子成员40）的党员人数"),
    Fact("theory_test_wrong_answers", "count", CYCLE, "党员政治思想理论测试错题数（全支部合计）"),
    # 党费与经费
    Fact("dues_months_missed", "count", CYCLE, "党员未按月交纳党费的人月数"),
    Fact("dues_reassessed_by_march", "bool", CYCLE, "每年3月前重新核定党员交费数额"),
    Fact("dues_short_paid", "bool", CYCLE, "党费收缴不足额"),
    Fact("dues_use_published", "bool", CYCLE, "党费使用情况已公布"),
    Fact("funds_per_member", "number", CYCLE, "党支部活动经费人均（元/年）"),
    Fact("funds_guaranteed", "bool", CYCLE, "活动经费有保障"),
    # 阵地与档案
    Fact("six_musts_missing", "items", AT_END, "“六必有”中未达到的项目"),
    Fact("archive_complete", "bool", AT_END, "“二册一本”资料档案齐备"),
    Fact("electronic_archive_filed", "bool", AT_END, "电子档案已建立、上报"),
    Fact("work_plan_made", "bool", CYCLE, "年初制定工作计划清单"),
    Fact("monthly_records_missing", "count", CYCLE, "未按月填报工作纪实清单的月数"),
    # 测评
    Fact("member_satisfaction_rate", "percent", CYCLE, "党员对党支部书记基本满意率（%）", source=SURVEYS),
    Fact("public_satisfaction_rate", "percent", CYCLE, "党员群众对党支部工作基本满意率（%）", source=SURVEYS),
]

FACTS: dict[str, Fact] = {fact.name: fact for fact in _FACTS}


def fact_units(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Name → unit of every catalogued fact, plus a rubric's own declared facts."""
    units = {name: fact.unit for name, fact in FACTS.items()}
    units.update(extra or {})
    return units
