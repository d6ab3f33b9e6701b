"""drf-spectacular hooks: the error format, documented once for every operation."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers (api.errors).",
    "properties": {
        "code": {"type": "string", "description": "Stable, snake_case: branch on it.",
                 "examples": ["not_found"]},
        "message": {"type": "string", "description": "For a person, in the Accept-Language asked (fr, en)."},
        "fields": {
            "type": "object", "description": "Validation errors only: per field (`__all__`: the whole object).",
            "additionalProperties": {"type": "array", "items": {
                "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                "required": ["code", "message"]}},
        },
    },
    "required": ["code", "message"],
}

#: Status -> what it means here; every operation may answer these.
COMMON = {
    "401": "Not signed in, or the key is unknown, revoked or expired (`not_authenticated`, `authentication_failed`).",
    "403": "Not allowed (`permission_denied`, `second_factor_required`, `mandate_not_held`, `csrf`...).",
    "404": "No such object within your reach (`not_found`).",
    "405": "Method not allowed (`method_not_allowed`).",
    "406": "Not acceptable (`not_acceptable`).",
    "429": "Too many requests (`throttled`); see Retry-After.",
}
WRITES = {
    "400": "Invalid input (`invalid` with `fields`, or the service's own code).",
    "409": "Not possible in the object's current state (`transition_not_allowed`).",
    "413": "Upload too large.",
    "415": "Unsupported media type (`unsupported_media_type`).",
}


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the ``Error`` component, and the error statuses on every operation
    (those an operation documents itself are kept)."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = dict(COMMON)
            if method != "get":
                codes.update(WRITES)
            else:
                codes["400"] = "Invalid query parameter (`invalid`)."
            if not operation.get("security") or operation["security"] == [{}]:
                codes.pop("401", None)
            for status_code, description in codes.items():
                responses.setdefault(status_code, {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
