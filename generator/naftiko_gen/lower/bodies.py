"""Request bodies of consumed operations: JSON values and texts, form, multipart and text bodies
whose placeholders are filled type-safely and escaped for where they land (SEMANTICS.md §3)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..expr import Escape, Escaped, Expr, InputRef, Lit, Template
from ..ir import Body
from ..load import Pointer
from .context import as_list, text
from .templates import PLACEHOLDER, placeholders, split, template_code

if TYPE_CHECKING:
    from .consumed_operations import OperationLowering


class BodyLowering:
    """Lowers the body of one consumed operation; caller values become its keyword parameters."""

    def __init__(self, operation: OperationLowering) -> None:
        self.operation = operation

    def body(self, body_params: list[tuple[str, dict[str, Any]]]) -> Body | None:
        """The written `body` template, else one built from the `in: body` parameters."""
        template = self.operation.op.get("body")
        pointer = (*self.operation.pointer, "body")
        if isinstance(template, str):
            return Body("json-text", self._json_text(template, pointer), "application/json")
        if isinstance(template, dict):
            kind = text(template.get("type")) or "json"
            data = template.get("data")
            if data is not None:
                return self._typed_body(kind, data, pointer)
        if not body_params:
            return None
        if len(body_params) == 1 and body_params[0][0] == "body":
            name, param = body_params[0]
            if "value" in param:
                return Body("json", self._json_value(param["value"], pointer))
            return Body(
                "json",
                self.operation.kwarg(
                    name, required=param.get("required") is True, declared=param, body=True
                ),
            )
        fields: dict[str, Any] = {}
        for name, param in body_params:
            if "value" in param:
                fields[name] = self._json_value(param["value"], pointer)
            else:
                fields[name] = self.operation.kwarg(
                    name, required=param.get("required") is True, declared=param, body=True
                )
        return Body("json-fields", fields)

    def _typed_body(self, kind: str, data: Any, pointer: Pointer) -> Body:
        if kind == "json":
            if isinstance(data, str):
                return Body("json-text", self._json_text(data, pointer), "application/json")
            return Body("json", self._json_value(data, pointer))
        if kind in ("text", "xml", "sparql"):
            media = {
                "text": "text/plain",
                "xml": "application/xml",
                "sparql": "application/sparql-query",
            }[kind]
            escape: Escape | None = "xml" if kind == "xml" else None
            code = template_code(
                text(data), lambda n: self.operation.resolve(n, pointer), escape=escape
            )
            return Body("content", code, media)
        if kind == "formUrlEncoded":
            if isinstance(data, dict):
                return Body("form", self._json_value(data, pointer))
            code = template_code(
                text(data), lambda n: self.operation.resolve(n, pointer), escape="form"
            )
            return Body("content", code, "application/x-www-form-urlencoded")
        if kind == "multipartForm":
            parts = []
            for part in as_list(data):
                if isinstance(part, dict):
                    parts.append(
                        {
                            "name": text(part.get("name")),
                            "value": template_code(
                                text(part.get("value")),
                                lambda n: self.operation.resolve(n, pointer),
                            ),
                            "filename": text(part.get("filename")) or None,
                            "content_type": text(part.get("contentType")) or None,
                        }
                    )
            return Body("multipart", parts)
        self.operation.ctx.warning(
            "NG201", f"body type '{kind}' is not supported; sent as JSON", pointer
        )
        return Body("json", self._json_value(data, pointer))

    def _json_value(self, data: Any, pointer: Pointer) -> Any:
        """A JSON template with placeholders filled type-safely (SEMANTICS.md §3)."""
        if isinstance(data, str):
            if not placeholders(data):
                return data
            code = template_code(data, lambda n: self.operation.resolve(n, pointer))
            if [is_var for _, is_var in split(data.strip())] == [True]:
                self._any_json(code)  # exactly one placeholder: the value keeps its JSON type
            return code
        if isinstance(data, dict):
            return {str(k): self._json_value(v, pointer) for k, v in data.items()}
        if isinstance(data, list):
            return [self._json_value(v, pointer) for v in data]
        return data

    def _any_json(self, value: Expr) -> None:
        """A caller value that a JSON template inserts as a JSON value takes any JSON value
        (an object record, a list, a number), not only text."""
        for key, param in self.operation.params.items():
            if value == InputRef(param.py_name) and not param.is_body and param.json_type is None:
                self.operation.params[key] = replace(param, any_json=True)

    def _json_text(self, template: str, pointer: Pointer) -> Expr:
        """A raw JSON text template: each value inserted as JSON text (`{{crewIds}}` → `[..]`)."""
        pieces: list[str | Expr] = []
        pos = 0
        for match in PLACEHOLDER.finditer(template):
            if match.start() > pos:
                pieces.append(template[pos : match.start()])
            value = self.operation.resolve(match.group(1), pointer) or Lit(None)
            # Inside quotes the value is string content; elsewhere it is a JSON value.
            quoted = template[match.start() - 1 : match.start()] == '"' and (
                template[match.end() : match.end() + 1] == '"'
            )
            if not quoted:
                self._any_json(value)
            pieces.append(Escaped(value, "json-string" if quoted else "json-fragment"))
            pos = match.end()
        if pos < len(template):
            pieces.append(template[pos:])
        return Template(tuple(pieces))
