"""`xuanpin webhooks deliver` and `xuanpin contacts import` (issue 14)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from service.services.errors import ServiceError
from service.services.principal import Principal


@click.group(help="事件订阅（webhook）投递")
def webhooks() -> None:
    pass


@webhooks.command(
    "deliver", help="投递到期的事件一次（调度进程每隔 XUANPIN_WEBHOOK_SWEEP_SECONDS 秒自动执行）"
)
def webhooks_deliver() -> None:
    from service.cli import _container
    from service.services import webhook_delivery

    delivered = webhook_delivery.tick(_container())
    click.echo(f"已送达 {delivered} 次投递")


@click.group(help="用户的 OA 标识与电子邮件")
def contacts() -> None:
    pass


@contacts.command(
    "import", help="导入 CSV（表头 username,oa_user_id,email，email 可空），任一行有误则全部不导入"
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def contacts_import(file: Path) -> None:
    from service.cli import _container, _fail
    from service.services import contacts as contact_service

    operator = Principal(username=f"cli:{os.environ.get('USER', 'operator')}", is_admin=True)
    try:
        count = contact_service.import_csv(_container(), operator, file)
    except ServiceError as error:
        _fail(error)
        return
    click.echo(f"已导入 {count} 个用户的 OA 标识")
