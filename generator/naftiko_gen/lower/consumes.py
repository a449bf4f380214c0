"""`capability.consumes`: upstream HTTP APIs become client classes (SEMANTICS.md §3)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..expr import (
    Expr,
    SettingReach,
    SettingRef,
)
from ..ir import Setting, Upstream, UpstreamOperation, UpstreamParam
from ..load import Document, Pointer
from ..naming import class_name, env_name, identifier, normalized
from ..source import is_consumes_import
from .access import upstream_tls
from .binds import Binds, valid_env
from .consumed_auth import consumed_auth
from .consumed_operations import OperationLowering
from .context import Context, as_list, text
from .imports import resolve_import
from .templates import template_code


@dataclass(slots=True)
class ConsumedOperation:
    """A consumed operation as wiring sees it: its IR and how to address it from Python."""

    upstream_attr: str
    namespace: str
    ir: UpstreamOperation
    pointer: Pointer
    document: Document

    def param(self, name: str) -> UpstreamParam | None:
        """The keyword parameter for a document name, compared as SEMANTICS.md §4 says."""
        for param in self.ir.params:
            if normalized(param.name) == normalized(name) or param.py_name == name:
                return param
        return None


@dataclass(slots=True)
class Consumes:
    """All upstreams of a capability and an index of their operations by `namespace.name`."""

    upstreams: list[Upstream] = field(default_factory=list)
    operations: dict[str, ConsumedOperation] = field(default_factory=dict)
    formats: set[str] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)  # namespaces whose import failed
    # Every operation of a call key, with its folded resource name: catalogs reuse one
    # operation name (`post`) in every resource.
    candidates: dict[str, list[tuple[str, ConsumedOperation]]] = field(default_factory=dict)

    def find(
        self,
        call: str,
        *,
        resource: str | None = None,
        description: str = "",
        method: str | None = None,
        ordinal: int = 0,
    ) -> ConsumedOperation | None:
        """The operation `call` names. Among same-named ones, the one the caller plainly means:
        the same description, else its resource's name (case and punctuation aside), else the
        same HTTP method; else the n-th call of that name in an adapter means the n-th one.
        """
        candidates = self.candidates.get(call, [])
        if len(candidates) <= 1:
            return self.operations.get(call)
        tests: list[Callable[[str, ConsumedOperation], bool]] = [
            lambda name, c: bool(description) and c.ir.description == description,
            lambda name, c: bool(resource) and name == _folded(resource or ""),
            lambda name, c: bool(method) and c.ir.http_method == method,
        ]
        for test in tests:
            same = [c for name, c in candidates if test(name, c)]
            if len(same) == 1:
                return same[0]
        return candidates[ordinal][1] if ordinal < len(candidates) else candidates[0][1]


def lower_consumes(ctx: Context, binds: Binds) -> Consumes:
    """Lower every consumes entry, resolving `import` entries from sibling files."""
    result = Consumes()
    capability = ctx.document.data.get("capability") or {}
    taken_attrs: set[str] = {"settings"}
    namespaces: set[str] = set()
    for index, entry in enumerate(as_list(capability.get("consumes"))):
        pointer: Pointer = ("capability", "consumes", index)
        if not isinstance(entry, dict):
            continue
        entry_ctx, entry_pointer = ctx, pointer
        if is_consumes_import(entry):
            imported = resolve_import(ctx, entry, pointer, "consumes")
            if imported is None:
                result.unresolved.add(text(entry.get("as")) or text(entry.get("import")))
                continue
            entry_ctx, entry_pointer, entry = imported
        namespace = text(entry.get("namespace"))
        if not namespace:
            entry_ctx.error("NG109", "a consumes entry needs a `namespace`", entry_pointer)
            continue
        if namespace in namespaces:
            entry_ctx.warning(
                "NG102",
                f"consumes namespace '{namespace}' is defined twice; the first one is used",
                (*entry_pointer, "namespace"),
            )
            continue
        namespaces.add(namespace)
        kind = text(entry.get("type")) or "http"
        if kind != "http":
            entry_ctx.warning(
                "NG203",
                f"consumes type '{kind}' is not supported; namespace '{namespace}' is skipped",
                (*entry_pointer, "type"),
            )
            continue
        _UpstreamLowering(entry_ctx, binds, entry, entry_pointer, namespace, result).run(
            identifier(
                "api" if env_name(namespace) == ctx.env_prefix else env_name(namespace),
                taken_attrs,
            )
        )
    return result


def _folded(name: str) -> str:
    """A name without case or punctuation (`2-files-copy_batch_v2` ~ `2filescopybatchv2`)."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


class _UpstreamLowering:
    """Lowers one consumes entry; split into methods by the parts of the entry."""

    def __init__(
        self,
        ctx: Context,
        binds: Binds,
        entry: dict[str, Any],
        pointer: Pointer,
        namespace: str,
        result: Consumes,
    ) -> None:
        self.ctx = ctx
        self.binds = binds
        self.entry = entry
        self.pointer = pointer
        self.namespace = namespace
        self.result = result
        self.env = env_name(namespace)
        self.has_auth = isinstance(entry.get("authentication", entry.get("auth")), dict)

    def run(self, attr: str) -> None:
        base_url_attr, base_url_env = self._base_url()
        client_params = as_list(self.entry.get("inputParameters"))
        static_headers, static_query, client_free = self._client_params(client_params)
        operations: list[UpstreamOperation] = []
        seen: set[str] = set()
        taken_methods: set[str] = {"send", "aclose", "settings", "http", "retries"}
        for r_index, resource in enumerate(as_list(self.entry.get("resources"))):
            if not isinstance(resource, dict):
                continue
            r_pointer = (*self.pointer, "resources", r_index)
            for o_index, op in enumerate(as_list(resource.get("operations"))):
                o_pointer = (*r_pointer, "operations", o_index)
                if not isinstance(op, dict):
                    continue
                name = text(op.get("name"))
                if not name and text(op.get("id")):
                    name = text(op.get("id"))
                    op = {**op, "name": name}
                if not name:
                    self.ctx.warning(
                        "NG109",
                        "a consumed operation without a `name` cannot be called; skipped",
                        o_pointer,
                    )
                    continue
                key = f"{self.namespace}.{name}"
                if name in seen:
                    self.ctx.warning(
                        "NG102",
                        f"operation '{key}' is defined more than once; a call picks the one "
                        "whose resource has the caller's resource name, else the first",
                        (*o_pointer, "name"),
                    )
                seen.add(name)
                method_name = identifier(
                    f"{name} {text(resource.get('name'))}"
                    if key in self.result.operations
                    else name,
                    taken_methods,
                )
                lowered = OperationLowering(self, resource, r_pointer, op, o_pointer).run(
                    method_name, client_free
                )
                operations.append(lowered)
                consumed = ConsumedOperation(
                    attr, self.namespace, lowered, o_pointer, self.ctx.document
                )
                self.result.operations.setdefault(key, consumed)
                folded = _folded(text(resource.get("name")))
                self.result.candidates.setdefault(key, []).append((folded, consumed))
        self.result.upstreams.append(
            Upstream(
                namespace=self.namespace,
                class_name=class_name(self.namespace) + "Client",
                attr=attr,
                base_url_attr=base_url_attr,
                base_url_env=base_url_env,
                description=text(self.entry.get("description")),
                auth=consumed_auth(self),
                headers=tuple(static_headers),
                query=tuple(static_query),
                operations=tuple(operations),
                tls_attrs=upstream_tls(self.ctx, self.binds, self.env, self.namespace),
            )
        )

    # -- settings-level parts ------------------------------------------------------------

    def settings_ref(self, name: str, pointer: Pointer, *, reach: SettingReach) -> Expr | None:
        """A bound variable as a setting reached by `reach`; implicit env binds warn."""
        attr = self.binds.lookup(name) or self.binds.implicit(self.ctx, name, pointer)
        return SettingRef(attr, reach) if attr else None

    def _base_url(self) -> tuple[str, str]:
        env = self.ctx_env(f"{self.env}_BASE_URL")
        attr = self.ctx.setting_attr(env)
        pointer = (*self.pointer, "baseUri")
        base = text(self.entry.get("baseUri")).strip()
        description = f"base URL of the '{self.namespace}' API"
        if base.endswith("/") and base.count("/") > 2:
            self.ctx.warning(
                "NG106",
                f"baseUri '{base}' ends with '/'; the trailing slash is dropped",
                pointer,
            )
            base = base.rstrip("/")
        unresolved = [v or w for v, w in re.findall(r"\{\{([^{}]*)\}\}|\{([^{}]*)\}", base)]
        unbound = [v for v in unresolved if not base.count("{{") or not self._bindable(v, pointer)]
        literal_start = base.split("{", 1)[0]
        if not base or (literal_start and not re.match(r"^https?://", base)) or unbound:
            reason = (
                "is empty"
                if not base
                else f"has unresolved variables {unbound}"
                if unbound
                else "is not an http(s) URL"
            )
            self.ctx.warning(
                "NG106",
                f"baseUri of '{self.namespace}' {reason}; the package requires {env} at startup",
                pointer,
            )
            setting = Setting(env, attr, "string", None, description, required=True)
        elif "{{" in base:
            code = template_code(base, lambda n: self.settings_ref(n, pointer, reach="loading"))
            setting = Setting(env, attr, "string", None, description, default_code=code)
        else:
            setting = Setting(env, attr, "string", base, description)
        self.binds.settings.append(setting)
        return attr, env

    def _bindable(self, name: str, pointer: Pointer) -> bool:
        return self.settings_ref(name, pointer, reach="loading") is not None

    def ctx_env(self, env: str) -> str:
        """Reserve an environment variable name (a second upstream with the same name gets _2)."""
        candidate, counter = env, 2
        while candidate in self.ctx.taken_envs:
            candidate = f"{env}_{counter}"
            counter += 1
        self.ctx.taken_envs.add(candidate)
        return candidate

    def _client_params(
        self, params: list[Any]
    ) -> tuple[list[tuple[str, Expr]], list[tuple[str, Expr]], list[dict[str, Any]]]:
        """Client-level parameters: fixed headers/query sent on every call, or per-call values."""
        headers: list[tuple[str, Expr]] = []
        query: list[tuple[str, Expr]] = []
        free: list[dict[str, Any]] = []
        for index, param in enumerate(params):
            if not isinstance(param, dict) or not text(param.get("name")):
                continue
            pointer = (*self.pointer, "inputParameters", index)
            where = text(param.get("in")) or "query"
            if "value" not in param:
                if where == "environment":
                    name = text(param["name"])
                    if valid_env(self.ctx, name, (*pointer, "name")):
                        self.binds.add_env(
                            self.ctx, name, name, "read by an `in: environment` param"
                        )
                    continue
                free.append(param)
                continue
            code = template_code(
                text(param.get("value")),
                functools.partial(self.settings_ref, pointer=pointer, reach="settings"),
            )
            if where == "header":
                headers.append((text(param["name"]), code))
            elif where == "query":
                query.append((text(param["name"]), code))
            elif where == "environment":
                if valid_env(self.ctx, text(param["name"]), (*pointer, "name")):
                    self.binds.add_env(self.ctx, text(param["name"]), text(param["name"]), "env")
            else:
                self.ctx.warning(
                    "NG201",
                    f"client-level parameter in '{where}' is not applied",
                    pointer,
                )
        return headers, query, free
