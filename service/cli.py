"""`xuanpin` – the operator's command line. Every command honours DATABASE_URL."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from service.config import Settings
from service.container import Container
from service.engine.parser import SourceFile
from service.services import accounts, definitions, repairs
from service.services import organisations as organisation_service
from service.services.errors import ServiceError
from service.services.principal import Principal
from service.store import migrate
from service.timeutil import SHANGHAI

DEPLOYABLE = (".bpmn", ".dmn", ".schema.json")


def _container() -> Container:
    return Container.build(Settings.from_env())


def _fail(error: ServiceError) -> None:
    click.echo(f"错误：{error.detail}", err=True)
    for field, messages in (error.errors or {}).items():
        for message in messages:
            click.echo(f"  - {field}: {message}", err=True)
    sys.exit(1)


@click.group(help="选聘流 运维命令")
def main() -> None:
    pass


@main.group(help="数据库")
def db() -> None:
    pass


@db.command("upgrade", help="建表或升级到最新结构")
def db_upgrade() -> None:
    container = _container()
    migrate.upgrade(container.db)
    click.echo(f"数据库已是最新结构：{container.db.url.render_as_string(hide_password=True)}")


def collect_files(paths: tuple[str, ...]) -> list[SourceFile]:
    files: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise click.BadParameter(f"{raw} 不存在", param_hint="PATH")
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.name.endswith(DEPLOYABLE):
                files.append(SourceFile(candidate.name, candidate.read_bytes()))
    return files


@main.command("backup", help="备份内嵌的 SQLite 数据库（服务运行时也可，得到一致的快照）")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    from service.store import backup as backups

    try:
        database = backups.sqlite_path(Settings.from_env().database_url)
        snapshot = backups.backup(database, path)
    except backups.BackupError as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(1)
    click.echo(
        f"已备份 {database} → {snapshot.path}（{snapshot.size_bytes // 1024} KB，"
        f"{snapshot.instances} 个流程实例，结构版本 {snapshot.revision}）"
    )


@main.command("restore", help="用备份文件替换内嵌的 SQLite 数据库（须先停止服务）")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="不再确认")
def restore(path: Path, yes: bool) -> None:
    from service.store import backup as backups
    from service.timeutil import SHANGHAI, utcnow

    try:
        database = backups.sqlite_path(Settings.from_env().database_url)
        snapshot = backups.inspect(path)
        if not yes:
            click.confirm(
                f"将用 {path}（{snapshot.instances} 个流程实例，结构版本 {snapshot.revision}）"
                f"替换 {database} 的全部内容，继续吗？",
                abort=True,
            )
        snapshot, kept = backups.restore(path, database, utcnow().astimezone(SHANGHAI))
    except backups.BackupError as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(1)
    click.echo(f"已恢复 {snapshot.path} → {database}（{snapshot.instances} 个流程实例）")
    if kept is not None:
        click.echo(f"恢复前的数据库保存在 {kept}")
    click.echo("如备份来自较早的版本，请先运行 xuanpin db upgrade 再启动服务")


@main.command("deploy", help="部署 BPMN/DMN 与表单（文件或目录），内容未变的流程不产生新版本")
@click.argument("paths", nargs=-1, required=True)
def deploy(paths: tuple[str, ...]) -> None:
    container = _container()
    operator = Principal(username=f"cli:{os.environ.get('USER', 'operator')}", is_admin=True)
    try:
        results = definitions.deploy(
            container.db,
            operator,
            collect_files(paths),
            source="xuanpin deploy",
            observer_roles=container.settings.observer_roles,
        )
    except ServiceError as error:
        _fail(error)
        return
    for result in results:
        state = "新版本" if result.created else "未变化"
        click.echo(f"{result.key}  v{result.version}  {result.name}  （{state}）")


@main.command(
    "test-process",
    help="运行流程测试用例（processes/tests/<流程>/<用例>.json）：一个用例文件、一个流程目录，"
    "或不写 PATH 即全部；每个用例在自己的临时数据库中运行，不触及真实数据。有失败时退出码 1",
)
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--sources",
    "source_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="用这些 BPMN/DMN/表单（文件或目录，可重复）代替仓库中的 processes 与 forms，例如尚未部署的新图",
)
def test_process(path: Path | None, source_paths: tuple[Path, ...]) -> None:
    from service.services import process_tests

    try:
        cases = process_tests.discover(path or process_tests.CASES_DIR)
    except ServiceError as error:
        _fail(error)
        return
    if not cases:
        click.echo(f"{path or process_tests.CASES_DIR} 下没有测试用例 No test cases found", err=True)
        sys.exit(1)
    sources = process_tests.sources_from_disk()
    if source_paths:
        given = collect_files(tuple(str(p) for p in source_paths))
        sources = [f for f in sources if f.filename not in {g.filename for g in given}] + given
    results = process_tests.run_cases(cases, sources, Settings.from_env())
    for result in results:
        click.echo("\n".join(process_tests.describe(result)))
    failed = sum(not r.passed for r in results)
    click.echo(
        f"{len(results)} 个用例：{len(results) - failed} 个通过，{failed} 个失败"
        f"  ({len(results)} cases: {len(results) - failed} passed, {failed} failed)"
    )
    if failed:
        sys.exit(1)


@main.group(help="用户")
def users() -> None:
    pass


@users.command("add", help="新增用户（已存在则更新密码和角色）")
@click.argument("username")
@click.option("--password", required=True, help="至少 8 个字符")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="角色@机构代码，可重复，例如 --role 企业人事@fh-jiaotou-yunshu；"
    "代码后加 * 含下属机构；不写机构即默认机构",
)
@click.option("--admin", is_flag=True, help="管理员：可部署流程")
@click.option("--org", "organisation", default=None, help="所在机构的代码：本人发起的流程默认属于该机构")
@click.option("--admin-org", "admin_organisation", default=None, help="管理员只管理该机构及下属机构")
@click.option("--name", "display_name", default="", help="显示名称")
@click.option("--id-number", default=None, help="应聘人员的身份证号：关联后本人可查看自己的报名和成绩")
def users_add(
    username: str,
    password: str,
    roles: tuple[str, ...],
    admin: bool,
    organisation: str | None,
    admin_organisation: str | None,
    display_name: str,
    id_number: str | None,
) -> None:
    try:
        grants = accounts.add_user(
            _container().db,
            username,
            password,
            list(roles),
            is_admin=admin,
            display_name=display_name,
            replace=True,
            id_number=id_number,
            actor="cli",
            organisation=organisation,
            admin_organisation=admin_organisation,
        )
    except ServiceError as error:
        _fail(error)
    click.echo(f"用户 {username} 已保存，角色：{'、'.join(grants) or '无'}{'，管理员' if admin else ''}")


@main.group(help="系统接入令牌")
def tokens() -> None:
    pass


@tokens.command("create", help="为接入系统（如 OA）创建 API 令牌，只显示一次")
@click.argument("name")
@click.option("--role", "roles", multiple=True, help="该系统可代办的角色（角色@机构代码），可重复")
@click.option("--admin", is_flag=True, help="允许该系统部署流程")
@click.option("--org", "organisation", default=None, help="令牌只能触及该机构及其下属机构")
def tokens_create(name: str, roles: tuple[str, ...], admin: bool, organisation: str | None) -> None:
    try:
        token = accounts.create_system_token(
            _container().db, name, list(roles), is_admin=admin, organisation=organisation
        )
    except ServiceError as error:
        _fail(error)
    click.echo(token)


@main.group(help="机构")
def organisations() -> None:
    pass


@organisations.command("import", help="从 CSV 导入机构树（表头 code,name,kind,parent_code），已有代码则更新")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def organisations_import(file: Path) -> None:
    operator = Principal(username=f"cli:{os.environ.get('USER', 'operator')}", is_admin=True)
    try:
        created, updated = organisation_service.import_csv(
            _container().db, operator, file.read_text(encoding="utf-8-sig")
        )
    except ServiceError as error:
        _fail(error)
    click.echo(f"机构已导入：新建 {created} 个，更新 {updated} 个")


@organisations.command("list", help="列出机构树")
def organisations_list() -> None:
    for org in organisation_service.list_organisations(_container().db):
        depth = len(org.ancestor_ids) - 1
        click.echo(f"{'  ' * depth}{org.code}  {org.name}  {org.kind}")


@main.group(help="修复引擎缺陷造成的不一致实例")
def repair() -> None:
    pass


@repair.command("multi-instance", help="多实例集合中被追加的评分表归回各自位置（修复前的多进程服务造成）")
@click.option("--dry-run", is_flag=True, help="只列出需要修复的实例，不写入")
def repair_multi_instance(dry_run: bool) -> None:
    repaired = repairs.repair_multi_instance(_container(), actor="operator:cli", dry_run=dry_run)
    for case in repaired:
        click.echo(f"{case.instance_id}  {case.definition_key}  {case.business_key or ''}")
        for change in case.changes:
            click.echo(f"  - {change}")
    verb = "需要修复" if dry_run else "已修复"
    click.echo(f"{verb} {len(repaired)} 个实例")


@main.group(help="审计记录（防篡改的哈希链）")
def audit() -> None:
    pass


@audit.command(
    "verify", help="重新计算整条审计链：完整时退出码 0；否则报告第一个断开之处（位置、事件编号），退出码 1"
)
def audit_verify() -> None:
    from service.services.audit_trail import verify_chain

    report = verify_chain(_container().db)
    if report.broken is not None:
        click.echo(f"审计链在第 {report.broken.position} 个位置断开：{report.broken.message}", err=True)
        sys.exit(1)
    last = report.last_hash or "（尚无事件）"
    click.echo(f"审计链完整：共 {report.events} 个事件，最后一个事件的哈希 {last}")


@main.group(help="保留期限（FH-07：默认永久保存）")
def retention() -> None:
    pass


@retention.command(
    "apply",
    help="按 XUANPIN_RETENTION_DAYS 清除结束已久的案件的工作数据（引擎状态、实例数据、任务提交内容）；"
    "声明永久保存的流程（全部内置流程）不清除；审计记录从不删除。未设置保留期限时什么也不做",
)
@click.option("--dry-run", is_flag=True, help="只列出将被清除的案件，不写入")
def retention_apply(dry_run: bool) -> None:
    from service.services import retention as policy

    app = _container()
    report = policy.apply(app.db, app.settings.retention_days, dry_run=dry_run)
    if report.days is None:
        click.echo(
            "未配置保留期限（XUANPIN_RETENTION_DAYS）：全部案件及其审计记录永久保存（FH-07），未清除任何数据"
        )
        return
    cutoff = report.cutoff.astimezone(SHANGHAI) if report.cutoff else None
    verb = "将清除" if dry_run else "已清除"
    click.echo(f"保留期限 {report.days} 天：{cutoff:%Y-%m-%d %H:%M} 之前结束的案件")
    for case in report.purged:
        click.echo(
            f"  {verb} {case.instance_id} {case.definition_key} 第 {case.definition_version} 版"
            f" {case.business_key or ''}（结束于 {case.completed_at.astimezone(SHANGHAI):%Y-%m-%d}）"
        )
    click.echo(
        f"{verb} {len(report.purged)} 个案件的工作数据；"
        f"{len(report.kept_permanent)} 个属永久保存的流程，保留；审计记录全部保留"
        + ("（试运行，未写入）" if dry_run else "")
    )


@main.command("serve", help="以 gunicorn 提供服务")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int, show_default="8000")
@click.option("--workers", default=lambda: int(os.environ.get("WEB_CONCURRENCY", "2")), type=int)
def serve(host: str, port: int, workers: int) -> None:
    from service.config import Settings
    from service.wsgi_server import run

    settings = Settings.from_env()
    run(host, port, workers, settings.worker_timeout_seconds, settings.log_format)


@main.command("docs", help="重新生成由代码生成的文档（docs/domain-api.md 的函数表）")
def docs() -> None:
    from service.devdocs import write_generated_docs

    changed = write_generated_docs()
    click.echo("已更新：" + "、".join(str(p) for p in changed) if changed else "文档已是最新")


@main.command("demo", help="创建演示用户（每个角色一个，密码见 README）")
def demo() -> None:
    from service.demo import DEMO_PASSWORD, create_demo_users

    names = create_demo_users(_container().db)
    click.echo(f"演示用户：{'、'.join(names)}（密码均为 {DEMO_PASSWORD}）")


@main.command("scheduler", help="只运行定时器调度（专用进程；Web 进程可设 XUANPIN_SCHEDULER=0）")
def scheduler() -> None:
    import time

    from service import start_scheduler

    container = _container()
    start_scheduler(container)
    click.echo(f"定时器调度已启动：{container.scheduler.worker}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        container.scheduler.shutdown()


@main.group(help="工作日历（法定节假日与调休）")
def calendar() -> None:
    pass


_KIND_NAMES = {"holiday": "放假", "workday": "上班（调休）"}


@calendar.command("import", help="导入整年安排的 CSV（表头 date,type,note），任一行有误则全部不导入")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, default=None, help="文件应只含该年的日期；导入后该年视为已有官方安排")
def calendar_import(file: Path, year: int | None) -> None:
    from service.services import calendar as calendar_service

    operator = Principal(username=f"cli:{os.environ.get('USER', 'operator')}", is_admin=True)
    try:
        result = calendar_service.import_csv(_container(), operator, file, year)
    except ServiceError as error:
        _fail(error)
        return
    years = "、".join(str(y) for y in result.years)
    click.echo(f"已导入 {result.days} 天，年份：{years}（这些年份现为官方安排）")


@calendar.command("show", help="列出某年的节假日与调休上班日")
@click.argument("year", type=int)
def calendar_show(year: int) -> None:
    from service.services import calendar as calendar_service

    try:
        official, days = calendar_service.list_days(_container().db, year)
    except ServiceError as error:
        _fail(error)
        return
    state = "官方安排" if official else "尚无官方安排：按周一至周五上班计算，期限为暂定"
    click.echo(f"{year} 年：{state}")
    for day in days:
        weekday = "一二三四五六日"[day.day.weekday()]
        kind = _KIND_NAMES.get(day.kind, day.kind)
        click.echo(f"{day.day.isoformat()}  周{weekday}  {kind}  {day.note}  [{day.source}]")


def _add_oa_commands() -> None:
    from service.cli_oa import contacts, webhooks

    main.add_command(webhooks)
    main.add_command(contacts)


_add_oa_commands()
