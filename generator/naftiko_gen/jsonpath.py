"""The JSONPath subset of SEMANTICS.md §7, compiled at generation time.

A path compiles to a tuple of steps: a key (`str`), an index (`int`, negative from the end) or
`WILDCARD_STEP`. The generated package only *evaluates* compiled steps, so an unsupported
expression is a generation-time diagnostic, never a production surprise.
"""

from __future__ import annotations

import re

Step = str | int

_DOT_NAME = re.compile(r"\.([^.\[\]]+)")
_BRACKET = re.compile(r"""\[\s*(?:(\*)|(-?\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]""")


class JsonPathError(ValueError):
    """The expression is outside the supported subset."""


def compile_jsonpath(expr: str) -> tuple[Step, ...]:
    """The steps of `expr`; `()` selects the root. Raises JsonPathError naming the bad part."""
    text = expr.strip()
    if not text.startswith("$"):
        raise JsonPathError(f"'{expr}' does not start with '$'")
    if text in ("$", "$."):
        return ()
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        if text.startswith("..", pos):
            raise JsonPathError(f"recursive descent '..' in '{expr}' is not supported")
        if text.startswith(".*", pos):
            steps.append(WILDCARD_STEP)
            pos += 2
            continue
        dot = _DOT_NAME.match(text, pos)
        if dot:
            steps.append(dot.group(1).strip())
            pos = dot.end()
            continue
        bracket = _BRACKET.match(text, pos)
        if bracket:
            star, index, single, double = bracket.groups()
            if star:
                steps.append(WILDCARD_STEP)
            elif index is not None:
                steps.append(int(index))
            else:
                quoted = single if single is not None else double
                steps.append(re.sub(r"\\(.)", r"\1", quoted))
            pos = bracket.end()
            continue
        raise JsonPathError(
            f"'{text[pos:]}' in '{expr}' is not supported "
            "(supported: $, .name, ['name'], [n], [-n], [*], .*)"
        )
    return tuple(steps)


class _Wildcard(str):
    """The `[*]` step; a distinct type so that a key literally named '*' stays a key."""

    __slots__ = ()


WILDCARD_STEP: Step = _Wildcard("*")


def is_wildcard(step: Step) -> bool:
    """Whether a compiled step is `[*]`."""
    return isinstance(step, _Wildcard)


def is_definite(steps: tuple[Step, ...]) -> bool:
    """A definite path selects at most one node (no wildcard)."""
    return not any(is_wildcard(s) for s in steps)
