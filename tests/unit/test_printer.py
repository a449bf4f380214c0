"""The IR's expressions printed as Python: every node kind, document text quoted so it reads back
as the document's value, and the lowering of templates into nodes."""

import ast
import typing
from dataclasses import replace

import pytest
from naftiko_gen.expr import (
    Arr,
    BindFileValue,
    Each,
    Escaped,
    Expr,
    Helper,
    InputRef,
    JsonPath,
    Lit,
    Local,
    Obj,
    Projection,
    RequestValue,
    SettingRef,
    StepResult,
    Template,
    setting_attr,
    structure,
)
from naftiko_gen.ir import Input, Setting, UpstreamParam, ValueType
from naftiko_gen.jsonpath import compile_jsonpath
from naftiko_gen.lower.templates import template_code
from naftiko_gen.printer import annotation, expression, py

HOSTILE = 'a "quoted" \\ back\nslash\x00'

CASES: list[tuple[Expr, str]] = [
    (Lit("it's"), '"it\'s"'),
    (Lit(7), "7"),
    (Lit(None), "None"),
    (InputRef("user_id"), "user_id"),
    (SettingRef("token", "settings"), "settings.token"),
    (SettingRef("token", "client"), "self.settings.token"),
    (SettingRef("token", "operation"), "clients.settings.token"),
    (SettingRef("base", "loading"), "base"),
    (BindFileValue("bind_file_1", "KEY"), 'bind_file_1.get("KEY")'),
    (StepResult("find-user"), 'context.get("find-user")'),
    (RequestValue("headers", "x-api-key"), 'headers.get("x-api-key")'),
    (
        JsonPath(Local("body"), compile_jsonpath("$.data[*].id")),
        '_values.first(body, ("data", _values.STAR, "id"))',
    ),
    (
        JsonPath(Local("body"), compile_jsonpath("$.items"), "all"),
        '_values.select(body, ("items",))',
    ),
    (JsonPath(Local("item"), (), "items"), "_values.items_of(item, ())"),
    (Escaped(InputRef("id"), "path-segment"), "_values.segment(id)"),
    (Helper("required", (InputRef("q"), Lit("q"))), '_values.required_value(q, "q")'),
    (
        Helper(
            "bearer-ok", (RequestValue("headers", "authorization"), SettingRef("t", "settings"))
        ),
        '_asgi.bearer_ok(headers.get("authorization"), settings.t)',
    ),
    (Projection((("id", ("data", "id")),)), '(("id", ("data", "id")),)'),
]


@pytest.mark.parametrize(("node", "source"), CASES, ids=[type(n).__name__ for n, _ in CASES])
def test_each_node_prints_as_python(node: Expr, source: str) -> None:
    assert expression(node) == source
    ast.parse(expression(node), mode="eval")


def test_document_text_reads_back_as_written() -> None:
    tree = ast.parse(expression(Lit(HOSTILE)), mode="eval")
    assert ast.literal_eval(tree) == HOSTILE


def test_template_joins_escaped_pieces() -> None:
    node = Template(("<a>", Escaped(InputRef("name"), "xml"), "</a>"))
    assert expression(node) == '_values.join_text("<a>", _values.xml_text(name), "</a>")'


def test_structures_lay_out_as_literals_with_expressions_in_place() -> None:
    node = structure({"id": JsonPath(Local("body"), ("id",)), "tags": ["a", InputRef("tag")]})
    assert isinstance(node, Obj)
    assert isinstance(node.fields[1][1], Arr)
    assert expression(node) == '{"id": _values.first(body, ("id",)), "tags": ["a", tag]}'
    assert py({"nested": node}, 1) == '{"nested": ' + expression(node) + "}"


def test_each_builds_a_list_per_item() -> None:
    node = Each(structure({"id": JsonPath(Local("item"), ("id",))}), "item", Local("rows"))
    source = expression(node)
    assert source.startswith("[\n    {") and source.endswith("    for item in rows\n]")
    ast.parse(source, mode="eval")


def test_templates_lower_to_nodes() -> None:
    def resolve(name: str) -> Expr | None:
        return InputRef(name) if name != "missing" else None

    assert template_code("plain", resolve) == Lit("plain")
    assert template_code("{{seats}}", resolve) == InputRef("seats")  # keeps the value's type
    assert template_code("{{missing}}", resolve) == Lit("")
    assert template_code("a={{x}}", resolve, escape="form") == Template(
        ("a=", Escaped(InputRef("x"), "form"))
    )


def test_upstream_parameter_annotations() -> None:
    def param(
        *, required: bool = True, is_body: bool = False, any_json: bool = False
    ) -> UpstreamParam:
        return UpstreamParam("q", "q", required, None, "", is_body=is_body, any_json=any_json)

    assert annotation(param()) == "_upstream.ParamValue"
    assert annotation(param(required=False)) == "_upstream.ParamValue | None"
    assert annotation(param(is_body=True, required=False)) == "Any"
    assert annotation(param(any_json=True, required=False)) == "Any | None"


@pytest.mark.parametrize("value_type", typing.get_args(ValueType))
def test_every_value_type_is_spelled_as_a_python_annotation(value_type: ValueType) -> None:
    setting = Setting("X_Y", "y", value_type, None, "")
    spelled = annotation(setting)
    ast.parse(spelled, mode="eval")  # a valid annotation, whatever the kind
    item = Input("y", "y", "argument", None, value_type, "", required=False)
    assert annotation(item) == f"{spelled} | None"
    assert annotation(replace(item, required=True)) == spelled


def test_value_types_print_as_the_annotations_a_person_writes() -> None:
    kinds: dict[ValueType, str] = {
        "integer": "int",
        "array": "list[Any]",
        "items": "tuple[str, ...]",
    }
    for value_type, spelled in kinds.items():
        assert annotation(Setting("X_Y", "y", value_type, None, "")) == spelled


def test_analyses_read_settings_from_nodes() -> None:
    assert setting_attr(SettingRef("api_token", "settings")) == "api_token"
    assert setting_attr(Template(("Bearer ", SettingRef("api_token", "settings")))) is None
    assert setting_attr(None) is None
