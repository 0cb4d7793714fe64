"""Working-day calendar: statutory holidays and 调休 days, and deadline arithmetic on them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import RequestSchema, ShanghaiDateTime
from service.domain.workdays import MAX_WORKDAYS, Deadline
from service.services import calendar
from service.services.calendar_cache import CalendarCache
from service.services.calendar_csv import MAX_YEAR, MIN_YEAR, NOTE_MAX
from service.services.errors import Invalid

blp = Blueprint(
    "calendar", __name__, url_prefix="/api/v1/calendar", description="工作日历：法定节假日、调休与工作日计算"
)


def calendar_cache() -> CalendarCache:
    return container().calendar


_YEAR_RANGE = f"应在 {MIN_YEAR}–{MAX_YEAR} 年之间"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What the OpenAPI document promises for a date (format date within the years the calendar keeps).
assert (MIN_YEAR, MAX_YEAR) == (1900, 2200), "update DATE_PATTERN"
DATE_PATTERN = r"^(19\d\d|2[01]\d\d|2200)-\d\d-\d\d$"
_PATH_DATE = {
    "in": "path",
    "name": "date",
    "required": True,
    "description": f"日期 YYYY-MM-DD（{MIN_YEAR}–{MAX_YEAR} 年）",
    "schema": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
}


def _date_field(**kwargs: Any) -> fields.Date:
    return fields.Date(
        required=True,
        error_messages={"invalid": "应为有效日期，格式 YYYY-MM-DD", "required": "必填项"},
        validate=validate.Range(min=date(MIN_YEAR, 1, 1), max=date(MAX_YEAR, 12, 31), error=_YEAR_RANGE),
        metadata={"pattern": DATE_PATTERN, **kwargs.pop("metadata", {})},
        **kwargs,
    )


def _path_date(text: str) -> date:
    try:
        day = date.fromisoformat(text) if _ISO_DATE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid(
            f"日期“{text}”无效，应为 YYYY-MM-DD", errors={"date": ["应为有效日期，格式 YYYY-MM-DD"]}
        )
    calendar.check_year(day.year, "date")
    return day


class DayBodySchema(RequestSchema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(calendar.KINDS, error="只能是 holiday（放假）或 workday（上班）"),
        metadata={"description": "holiday 放假 / workday 上班（调休）"},
    )
    note = fields.String(
        load_default="", validate=validate.Length(max=NOTE_MAX, error=f"不超过 {NOTE_MAX} 个字")
    )


class DaySchema(Schema):
    date = fields.Date(attribute="day")
    type = fields.String(attribute="kind", metadata={"description": "holiday 放假 / workday 上班（调休）"})
    note = fields.String()
    source = fields.String(metadata={"description": "chinesecalendar 内置 / admin 管理员 / import 导入"})
    updated_by = fields.String()
    updated_at = ShanghaiDateTime()


class YearQuerySchema(RequestSchema):
    year = fields.Integer(
        required=True,
        error_messages={"invalid": "应为整数年份", "required": "必填项"},
        validate=validate.Range(min=MIN_YEAR, max=MAX_YEAR, error=_YEAR_RANGE),
    )


class YearDaysSchema(Schema):
    year = fields.Integer()
    official = fields.Boolean(
        metadata={"description": "false：该年尚无官方安排，按周一至周五计算，结果为暂定"}
    )
    days = fields.List(fields.Nested(DaySchema), metadata={"description": "与“周一至周五上班”不同的日子"})


class WorkdaysQuerySchema(RequestSchema):
    start = _date_field(metadata={"description": "起算日（不计入）"})
    days = fields.Integer(
        required=True,
        error_messages={"invalid": "应为整数", "required": "必填项"},
        validate=validate.Range(min=0, max=MAX_WORKDAYS, error=f"应为 0 到 {MAX_WORKDAYS} 之间的整数"),
    )


class DeadlineSchema(Schema):
    start = fields.Date()
    days = fields.Integer()
    end = fields.DateTime(metadata={"description": "期限届满时刻：最后一个工作日 23:59:59（+08:00）"})
    end_date = fields.Date()
    provisional = fields.Boolean(metadata={"description": "true：用到了尚无官方安排的年份，结果可能变化"})


class BetweenQuerySchema(RequestSchema):
    start = _date_field(metadata={"description": "不计入"})
    end = _date_field(metadata={"description": "计入"})


class BetweenSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    workdays = fields.Integer(metadata={"description": "(start, end] 内的工作日数"})
    provisional = fields.Boolean()


class ImportQuerySchema(RequestSchema):
    year = fields.Integer(
        error_messages={"invalid": "应为整数年份"},
        validate=validate.Range(min=MIN_YEAR, max=MAX_YEAR, error=_YEAR_RANGE),
        metadata={"description": "给出时，文件中每个日期都必须属于该年"},
    )


class ImportedSchema(Schema):
    imported = fields.Integer(attribute="days")
    years = fields.List(fields.Integer())


_CSV_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
        "description": "表头 date,type,note；type 为 holiday/休/节假日 或 workday/班/调休上班",
    }
}


# The path variable is named `date` so the OpenAPI document reads /days/{date}.
@blp.route("/days/<string:date>", methods=["PUT"], parameters=[_PATH_DATE])
@blp.arguments(DayBodySchema)
@blp.response(200, DaySchema)
def put_day(body: dict[str, Any], **path: str) -> Any:
    """设置某日放假或上班（仅管理员）；该年随之视为已有官方安排"""
    return calendar.set_day(container(), principal(), _path_date(path["date"]), body["type"], body["note"])


@blp.route("/days/<string:date>", methods=["DELETE"], parameters=[_PATH_DATE])
@blp.response(204)
def delete_day(**path: str) -> None:
    """撤销管理员设置或导入的某日安排（仅管理员），恢复内置数据或周一至周五规则"""
    calendar.delete_day(container(), principal(), _path_date(path["date"]))


@blp.route("/days")
@blp.arguments(YearQuerySchema, location="query")
@blp.response(200, YearDaysSchema)
def list_days(query: dict[str, Any]) -> dict[str, Any]:
    """某年的节假日与调休上班日"""
    official, days = calendar.list_days(container().db, query["year"])
    return {"year": query["year"], "official": official, "days": days}


@blp.route("/import", methods=["POST"])
@blp.arguments(ImportQuerySchema, location="query")
@blp.doc(**_CSV_DOC)
@blp.response(200, ImportedSchema)
def import_days(query: dict[str, Any]) -> Any:
    """导入整年安排的 CSV（仅管理员）：任一行有误则全部不导入，并列出各行问题"""
    upload = request.files.get("file")
    content = upload.read() if upload is not None else request.get_data()
    return calendar.import_csv(container(), principal(), content, query.get("year"))


@blp.route("/workdays")
@blp.arguments(WorkdaysQuerySchema, location="query")
@blp.response(200, DeadlineSchema)
def add_workdays(query: dict[str, Any]) -> Deadline:
    """N 个工作日的期限：起算日不计入，到第 N 个工作日 23:59:59（北京时间）届满"""
    return calendar.workday_deadline(calendar_cache().get(), query["start"], query["days"])


@blp.route("/workdays/between")
@blp.arguments(BetweenQuerySchema, location="query")
@blp.response(200, BetweenSchema)
def workdays_between(query: dict[str, Any]) -> dict[str, Any]:
    """两日之间的工作日数：不含 start，含 end"""
    count, provisional = calendar.count_workdays(calendar_cache().get(), query["start"], query["end"])
    return {**query, "workdays": count, "provisional": provisional}
