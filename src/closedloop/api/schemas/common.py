"""What every schema shares: the field types (bounded text, ids, versions, finite numbers), the
request base ``In`` (unknown fields refused), and reading rows into response Structs."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct

from closedloop.http_common import MAX_ID

T = TypeVar("T")

Name = Annotated[str, Meta(min_length=1, max_length=300)]
ShortText = Annotated[str, Meta(max_length=2000)]
LongText = Annotated[str, Meta(max_length=20000)]
Version = Annotated[int, Meta(ge=1, le=MAX_ID, description="当前版本号；过期版本返回 409")]
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Percent = Annotated[int, Meta(ge=0, le=100)]
Comparator = Literal[">=", ">", "<=", "<", "="]
StageName = Literal["drill", "calculate", "levers", "execute", "close", "review", "archived"]
Role = Literal["admin", "supervisor", "lead"]
ProblemStatus = Literal["open", "resolved", "verified", "carried_over"]
Finite = Annotated[float, Meta(ge=-1e15, le=1e15)]


class In(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies."""


def changes(data: Struct, *, drop: tuple[str, ...] = ("version",)) -> dict[str, Any]:
    """Fields the client sent, with ``x_id`` renamed to ``x`` (link lists keep their names)."""
    out = {}
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if value is UNSET or name in drop:
            continue
        if name.endswith("_id"):
            name = name[:-3]
        if isinstance(value, list):
            value = [msgspec.to_builtins(v) if isinstance(v, Struct) else v for v in value]
        out[name] = value
    return out


def read(cls: type[T], row: dict) -> T:
    """A response Struct from a row dict: ``x_id`` fields are filled from ``x``."""
    values = {}
    for name in cls.__struct_fields__:  # type: ignore[attr-defined]  # every msgspec Struct class has it; T is left unbound for the callers' types
        if name in row:
            values[name] = row[name]
        elif name.endswith("_id") and name[:-3] in row:
            values[name] = row[name[:-3]]
    return msgspec.convert(values, cls, strict=False)


def read_all(cls: type[T], rows: list[dict]) -> list[T]:
    return [read(cls, r) for r in rows]


class Page(Struct):
    total: int
    page: int
    page_size: int


class Message(Struct):
    message: str
