"""Document the error responses every operation can give, in the one JSON error shape."""

from __future__ import annotations

import msgspec
from litestar import Litestar
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Reference, Schema

ERRORS = {
    "400": "请求格式或字段类型错误",
    "401": "未登录或令牌失效",
    "403": "没有权限",
    "404": "资源不存在",
    "409": "版本冲突、状态冲突或阶段门槛未满足（列出全部未满足条件）",
    "422": "字段取值无效",
    "429": "登录失败次数过多",
}

ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["status", "code", "message", "problems"],
            properties={
                "status": Schema(type=OpenAPIType.INTEGER),
                "code": Schema(type=OpenAPIType.STRING),
                "message": Schema(type=OpenAPIType.STRING),
                "problems": Schema(
                    type=OpenAPIType.ARRAY,
                    items=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["code", "message"],
                        properties={
                            "code": Schema(type=OpenAPIType.STRING),
                            "field": Schema(one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]),
                            "message": Schema(type=OpenAPIType.STRING),
                        },
                    ),
                ),
            },
        )
    },
)


def _closed_structs() -> set[str]:
    """Names of request Structs that refuse unknown fields."""
    import importlib

    from closedloop.api import schemas

    names = set()
    for area in schemas.AREAS:
        module = importlib.import_module(f"closedloop.api.schemas.{area}")
        for name in dir(module):
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, msgspec.Struct) and obj.__struct_config__.forbid_unknown_fields:
                names.add(name)
    return names


def add_error_responses(app: Litestar) -> None:
    """Complete the cached document: request bodies refuse unknown fields
    (``additionalProperties: false``, as the Structs do), and every operation lists the 4xx
    responses it can give, in the one error shape."""
    doc = app.openapi_schema
    assert doc.components is not None
    schemas = dict(doc.components.schemas or {})
    closed = _closed_structs()
    for name, schema in schemas.items():
        if name in closed and isinstance(schema, Schema):
            schema.additional_properties = False
    schemas["Error"] = ERROR_SCHEMA
    doc.components.schemas = schemas
    ref = Reference(ref="#/components/schemas/Error")
    public = _public_operations(app)
    for path, item in (doc.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            op = getattr(item, method, None)
            if op is None:
                continue
            responses = dict(op.responses or {})
            for code, text in ERRORS.items():
                responses[code] = OpenAPIResponse(description=text, content={"application/json": OpenAPIMediaType(schema=ref)})
            op.responses = responses
            if (path, method) in public:
                op.security = []  # no login: the rankings, the publications, the login itself


def _public_operations(app: Litestar) -> set[tuple[str, str]]:
    from closedloop.http_common import PUBLIC_OPT

    out = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get(PUBLIC_OPT):
                for method in getattr(handler, "http_methods", ()):
                    out.add((route.path_format, method.lower()))
    return out
