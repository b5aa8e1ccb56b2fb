"""``chuangxing token``: API tokens for scripts (``Authorization: Bearer <token>`` on ``/api/v1/``).

::

    chuangxing token create zhangsan --name 统计脚本     # prints the token once; only its hash is kept
    chuangxing token list [zhangsan]
    chuangxing token revoke 12
"""

from __future__ import annotations

import argparse
from typing import Any

from chuangxing.cli.common import FAILED, OK
from chuangxing.cli.django_setup import setup_django
from chuangxing.cli.output import err, out, table


def register(commands: Any) -> None:
    token = commands.add_parser("token", help="管理接口令牌（/api/v1/ 的 Bearer 令牌）")
    actions = token.add_subparsers(dest="action", metavar="操作")
    actions.required = True
    create = actions.add_parser("create", help="为用户生成新令牌（只显示一次）")
    create.add_argument("username", help="用户名")
    create.add_argument("--name", default="接口令牌", help="用途说明")
    create.set_defaults(handler=create_command)
    listing = actions.add_parser("list", help="列出令牌（不显示令牌本身）")
    listing.add_argument("username", nargs="?", help="只列出该用户的令牌")
    listing.set_defaults(handler=list_command)
    revoke = actions.add_parser("revoke", help="吊销令牌")
    revoke.add_argument("id", type=int, help="令牌编号（见 token list）")
    revoke.set_defaults(handler=revoke_command)


def create_command(args: argparse.Namespace) -> int:
    setup_django()
    from django.contrib.auth import get_user_model

    from chuangxing.apitokens.services import issue_token

    user = get_user_model().objects.filter(username=args.username).first()
    if user is None:
        err(f"没有用户 {args.username}")
        return FAILED
    token, secret = issue_token(user=user, name=args.name)
    err(f"已为 {user.username} 生成令牌 #{token.pk}（{token.name}）。令牌只显示这一次，请妥善保存：")
    out(secret)
    return OK


def list_command(args: argparse.Namespace) -> int:
    setup_django()
    from chuangxing.apitokens.models import ApiToken

    tokens = ApiToken.objects.select_related("user").order_by("pk")
    if args.username:
        tokens = tokens.filter(user__username=args.username)
    rows = [[t.pk, t.user.username, t.name, f"{t.key_start}…", f"{t.created_at:%Y-%m-%d}",
             f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-", "已吊销" if t.revoked_at else "有效"]
            for t in tokens]
    out(table(["编号", "用户", "用途", "开头", "创建", "最近使用", "状态"], rows, right=[0]))
    return OK


def revoke_command(args: argparse.Namespace) -> int:
    setup_django()
    from chuangxing.apitokens.models import ApiToken
    from chuangxing.apitokens.services import revoke_token

    token = ApiToken.objects.filter(pk=args.id).first()
    if token is None:
        err(f"没有编号为 {args.id} 的令牌")
        return FAILED
    revoke_token(token=token)
    out(f"已吊销令牌 #{token.pk}（{token.name}）")
    return OK
