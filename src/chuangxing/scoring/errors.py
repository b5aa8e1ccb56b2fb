"""Domain errors: a stable ``code``, a Chinese message for people, an English one for logs.

::

    FindingsInvalid                 findings that do not fit the rubric (all problems at once)
      .errors: list[FindingError]   one per problem, each naming the rule and the path
    ScoringError                    base of everything the engine refuses
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ScoringError(Exception):
    code = "scoring"


@dataclass(frozen=True)
class FindingError:
    code: str
    message_zh: str
    message_en: str
    rule: str | None = None
    path: str = ""

    def __str__(self) -> str:
        where = f"[{self.path}] " if self.path else ""
        return f"{where}{self.message_zh}"

    def to_dict(self) -> dict:
        return {"code": self.code, "rule": self.rule, "path": self.path,
                "message": self.message_zh, "message_en": self.message_en}


@dataclass
class FindingsInvalid(ScoringError):
    errors: list[FindingError] = field(default_factory=list)
    code = "findings_invalid"

    def __post_init__(self) -> None:
        super().__init__("; ".join(e.message_en for e in self.errors))

    @property
    def message_zh(self) -> str:
        return "评分数据有误：\n" + "\n".join(f"- {e}" for e in self.errors)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


class InputError(ValueError):
    """Raised by a rule kind when one input does not fit it; the engine collects them."""

    def __init__(self, code: str, message_zh: str, message_en: str):
        self.code, self.message_zh, self.message_en = code, message_zh, message_en
        super().__init__(message_en)
