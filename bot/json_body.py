"""Reading a request's JSON object: the one place the gateway's webhooks and the console's API do it.

    data = await read_object(request, limit)   # raises BadBody(status, reason)

Strict about the media type: `application/json`, with parameters such as `; charset=utf-8` allowed, and nothing
else. A check for the substring would pass `text/plain; application/json`, which a browser sends from any site
without asking first (a CORS-"simple" request): that is how a page elsewhere could make its visitors' browsers
post to us. A real JSON type makes the browser ask (preflight), and we never say yes.

Nesting is bounded: `json.loads` recurses, and a body of 100 000 `[` (well under any size limit) raises
RecursionError. Such a body is refused with 400, as is any parsed object nested deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

JSON_TYPE = "application/json"
# Telegram updates nest about 7 deep (a reply to a message with an inline keyboard), Zalo events 4, the console 2.
MAX_DEPTH = 32


class BadBody(Exception):
    """The request's body is not what the route takes: answer `status` with `{"error": reason}`."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def is_json(content_type: str) -> bool:
    """Whether a Content-Type header names JSON: the media type before any parameter, in any case."""
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != JSON_TYPE:
        return False
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False  # JSON is UTF-8 (RFC 8259); another charset means the sender meant something else
    return True


def check_type(request: Request) -> None:
    if not is_json(request.headers.get("content-type", "")):
        raise BadBody(415, "send JSON with Content-Type: application/json")


def depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level + 1)
            if level + 1 <= MAX_DEPTH:  # deeper is refused anyway: no need to walk it
                stack.extend((child, level + 1) for child in node)
    return deepest


def parse_object(body: bytes, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object in `body` (`empty`, when given, stands for an empty body); BadBody(400) with the reason."""
    if not body.strip() and empty is not None:
        return dict(empty)
    try:
        data = json.loads(body)
    except RecursionError:
        raise BadBody(400, f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadBody(400, "body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise BadBody(400, "body must be a JSON object")
    if depth(data) > MAX_DEPTH:
        raise BadBody(400, f"JSON nested more than {MAX_DEPTH} levels deep")
    return data


async def read_bytes(request: Request, limit: int) -> bytes:
    """The whole body, or BadBody(413) as soon as it passes `limit` bytes (a declared length over it: unread)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadBody(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BadBody(413, f"body larger than {limit} bytes")
    return b"".join(chunks)


async def read_object(request: Request, limit: int, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request's JSON object: type checked first (415), then size (413), then syntax and nesting (400)."""
    check_type(request)
    return parse_object(await read_bytes(request, limit), empty)
