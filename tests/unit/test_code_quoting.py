"""The one path by which document text becomes Python source: literals that read back as the
document's value, whatever the text holds."""

import ast
import math

import pytest
from naftiko_gen.code import (
    Code,
    call_code,
    comment_text,
    py_explicit,
    py_scalar,
    py_str,
    py_value,
)
from naftiko_gen.jsonpath import compile_jsonpath
from naftiko_gen.printer import steps_code

HOSTILE = [
    "",
    "plain",
    'say "hi"',
    "it's",
    """both ' and " """,
    'more "double" than \'single\' "quotes"',
    "back\\slash\\",
    "new\nline\r\ttab",
    "nul\0byte",
    "bell\x07 and del\x7f",
    "line\u2028separator",
    '"""triple"""',
    "{placeholder} and {{braces}}",
    "émoji 🚀 and 日本語",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_py_str_reads_back_as_the_same_text(text: str) -> None:
    literal = py_str(text)
    assert "\n" not in literal
    assert ast.literal_eval(literal) == text


def test_py_str_quotes_as_black_does() -> None:
    assert py_str("plain") == '"plain"'
    assert py_str("it's") == '"it\'s"'
    assert py_str('say "hi"') == "'say \"hi\"'"


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**70, 1.5, "x\ny", "1"])
def test_py_scalar_reads_back_as_the_same_value(value: object) -> None:
    assert ast.literal_eval(py_scalar(value)) == value


def test_py_scalar_prints_non_finite_floats_as_text() -> None:
    assert ast.literal_eval(py_scalar(math.inf)) == "inf"
    assert ast.literal_eval(py_scalar(math.nan)) == "nan"


def test_py_value_reads_back_as_the_same_json_value() -> None:
    value = {"a": [1, {"b": None}], 'k"ey': (), "t": ("one",), "e": {}, "s": HOSTILE}
    expected = {**value, "s": tuple(HOSTILE)}
    literal = py_value({**value, "s": tuple(HOSTILE)}, indent=1)
    assert ast.literal_eval(literal) == expected


def test_py_value_leaves_the_layout_to_the_formatter() -> None:
    assert py_value({"a": [1, 2], "t": ("x",), "e": {}}) == '{"a": [1, 2], "t": ("x",), "e": {}}'


def test_py_explicit_explodes_only_collections_of_collections() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert py_explicit(schema) == (
        '{\n    "type": "object",\n    "properties": {\n        "a": {"type": "string"},\n    },\n'
        '    "required": ["a"],\n}'
    )
    assert py_explicit({"enum": [1, 2]}) == '{\n    "enum": [1, 2],\n}'
    assert ast.literal_eval(py_explicit({"s": [HOSTILE]}, indent=2)) == {"s": [HOSTILE]}


def test_py_value_prints_code_as_it_is_reindented() -> None:
    assert py_value([Code("f(\n    x,\n)")], indent=1) == "[f(\n        x,\n    )]"


def test_call_code_leaves_the_layout_to_the_formatter() -> None:
    assert call_code("f", []) == "f()"
    assert call_code("f", ["a", "b=1"]) == "f(a, b=1)"


@pytest.mark.parametrize("text", HOSTILE)
def test_comment_text_is_safe_in_a_comment_and_a_docstring(text: str) -> None:
    comment = comment_text(text)
    assert "\n" not in comment and "\r" not in comment
    assert '"' not in comment and "\\" not in comment
    assert comment.isprintable()
    module = f'def f() -> None:\n    """{comment}"""  # {comment}\n'
    [function] = ast.parse(module).body
    assert isinstance(function, ast.FunctionDef)
    assert ast.get_docstring(function) == comment


def test_comment_text_is_cut_at_the_limit() -> None:
    assert comment_text("word " * 100, limit=20) == "word word word wo..."
    assert len(comment_text("x" * 1000)) == 400


def test_steps_code_is_a_tuple_literal_of_the_compiled_path() -> None:
    assert steps_code(compile_jsonpath("$.data[0]['it\"s'][*]")) == (
        '("data", 0, \'it"s\', _values.STAR)'
    )
    assert steps_code(compile_jsonpath("$.id")) == '("id",)'
