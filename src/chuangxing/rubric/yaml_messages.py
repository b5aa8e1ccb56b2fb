"""YAML syntax errors said in Chinese, with a hint a rubric author can act on.

>>> describe("found character '@' that cannot start any token")
'字符 “@” 不能作为值的开头'
>>> hint_for("title: @党支部\\n", 1)
'值 “@党支部” 以 “@” 开头：请把整个值用引号括起来，例如 title: "@党支部"'

PyYAML's own English stays in the log (``YamlSyntaxError``'s ``str``); people read these sentences.
"""

from __future__ import annotations

import re

# PyYAML's problem text → what it means, in the author's terms (first match wins; {0} is the match's
# group, {{ and }} are braces).
_PROBLEMS: list[tuple[re.Pattern, str]] = [(re.compile(pattern), zh) for pattern, zh in (
    (r"found character '\\t' that cannot start any token", "不能用制表符（Tab）缩进，请改用空格"),
    (r"found character '(.)' that cannot start any token", "字符 “{0}” 不能作为值的开头"),
    (r"expected alphabetic or numeric character, but found", "“*” 或 “&” 之后应为别名（字母或数字）"),
    (r"found undefined alias '(.*)'", "别名 *{0} 没有定义"),
    (r"found undefined tag handle '(.*)'", "不认识的标签 {0}"),
    (r"expected URI|expected '!'|expected ' ', but found", "“!” 之后应为标签名（字母或数字）"),
    (r"could not determine a constructor for the tag '(.*)'", "不认识的标签 {0}"),
    (r"mapping values are not allowed here", "这里不能出现 “: ”（冒号加空格）：值里含有冒号，或缩进不对"),
    (r"expected ',' or '\]', but got", "方括号 [ 没有配对的 ]"),
    (r"expected ',' or '\}', but got", "花括号 {{ 没有配对的 }}"),
    (r"expected the node content, but found '(.*)'", "这里应为一个值，却遇到了 “{0}”"),
    (r"expected <block end>, but found", "缩进不一致，或一个值在结束的 ] 或 }} 之后还有文字"),
    (r"could not find expected ':'", "缺少 “: ”（键和值之间的冒号加空格）"),
    (r"found unexpected end of stream", "引号没有配对，文件就结束了"),
    (r"found unknown escape character", "双引号中的反斜杠 \\ 后面是不认识的转义字符"),
    (r"found duplicate anchor", "锚点 & 的名字重复"),
    (r"while parsing a block collection|expected <block end>|did not find expected", "缩进或结构不对"),
)]

# A plain (unquoted) value YAML reads as something else: it starts with an indicator, or holds a
# bracket, a brace or ": ".
_LEADING = "*&!@`%"
_KEY = re.compile(r"^[\w$.-]+$")


def describe(problem: str) -> str:
    """PyYAML's ``problem`` in Chinese (texts already in Chinese, the guarded loader's, pass through)."""
    for pattern, zh in _PROBLEMS:
        if match := pattern.search(problem):
            return zh.format(*match.groups())
    # the guarded loader's own refusals are Chinese already; PyYAML's English may quote a Chinese character
    return problem if re.search(r"[\u4e00-\u9fff]", re.sub(r"'[^']*'", "", problem)) else "YAML 语法错误"


_JSON_PROBLEMS = {
    "Expecting value": "这里应为一个值",
    "Expecting property name enclosed in double quotes": "键须用双引号括起来",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Unterminated string starting at": "字符串缺少结束的双引号",
    "Invalid control character at": "字符串中有控制字符",
    "Invalid \\escape": "反斜杠 \\ 后面是不认识的转义字符",
    "Extra data": "数据结束后还有多余的内容",
}


def describe_json(msg: str) -> str:
    """``json.JSONDecodeError.msg`` in Chinese."""
    return next((zh for en, zh in _JSON_PROBLEMS.items() if msg.startswith(en)), "JSON 语法错误")


def hint_for(text: str, line: int | None) -> str | None:
    """'put the value in quotes', when a plain value on ``line`` (or the line before) is the likely cause."""
    if not line:
        return None
    lines = text.splitlines()
    for number in (line, line - 1):
        if 1 <= number <= len(lines) and (hint := _hint_for_line(lines[number - 1])):
            return hint
    return None


def _hint_for_line(source: str) -> str | None:
    key, value = _plain_value(source)
    if not value or value[0] in "'\"" or (value[0] in "[{" and value[-1] in "]}"):
        return None         # quoted already, or a whole list or mapping written on one line
    if value[0] in _LEADING:
        why = f"以 “{value[0]}” 开头"
    elif any(ch in value for ch in "[]{}"):
        why = "含有方括号或花括号（若它是文字而不是列表）"
    elif ": " in value:
        why = "含有 “: ”（冒号加空格）"
    else:
        return None
    value = value if len(value) <= 40 else value[:40] + "……"
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    return f"值 “{value}” {why}：请把整个值用引号括起来，例如 {key}\"{quoted}\""


def _plain_value(source: str) -> tuple[str, str]:
    """``  - title: *x`` → ``("title: ", "*x")``: what a value is written after, and the value."""
    body, lead = source.strip(), ""
    while body.startswith("- "):
        body, lead = body[2:].lstrip(), "- "
    name, sep, rest = body.partition(": ")
    if sep and _KEY.match(name):
        return f"{name}: ", rest.strip()
    return lead, body
