"""The JSONPath subset of SEMANTICS.md §7, compiled at generation time."""

import re

import pytest
from naftiko_gen.jsonpath import (
    WILDCARD_STEP,
    JsonPathError,
    compile_jsonpath,
    is_definite,
    is_wildcard,
)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("$", ()),
        ("$.", ()),
        ("  $  ", ()),
        ("$.data", ("data",)),
        ("$.data.items[0].id", ("data", "items", 0, "id")),
        ("$.items[-1]", ("items", -1)),
        ("$['a.b']", ("a.b",)),
        ('$["it\'s"]', ("it's",)),
        ("$['it\\'s']", ("it's",)),
        ("$[ 2 ]", (2,)),
        ("$.user-name", ("user-name",)),
    ],
)
def test_supported_paths_compile_to_keys_and_indexes(expr: str, expected: tuple[object]) -> None:
    assert compile_jsonpath(expr) == expected


@pytest.mark.parametrize("expr", ["$.items[*].id", "$.items.*.id"])
def test_both_wildcard_spellings_compile_to_the_wildcard_step(expr: str) -> None:
    steps = compile_jsonpath(expr)
    assert steps == ("items", WILDCARD_STEP, "id")
    assert is_wildcard(steps[1])
    assert not is_definite(steps)


def test_a_key_named_star_is_a_key_not_a_wildcard() -> None:
    steps = compile_jsonpath("$['*']")
    assert steps == ("*",)
    assert not is_wildcard(steps[0])
    assert is_definite(steps)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("data.id", "does not start with '$'"),
        ("$..id", "recursive descent"),
        ("$.items[?(@.id)]", "'[?(@.id)]' in '$.items[?(@.id)]' is not supported"),
        ("$.items[0:2]", "is not supported"),
    ],
)
def test_unsupported_paths_raise_naming_the_bad_part(expr: str, message: str) -> None:
    with pytest.raises(JsonPathError, match=re.escape(message)):
        compile_jsonpath(expr)
