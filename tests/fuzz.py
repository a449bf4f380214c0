"""Seeded mutations of real documents, and the checks every outcome must pass.

`tests/test_fuzz.py` runs a bounded number on every test run; a release runs many more (see
its docstring), or, outside pytest, `python -m tests.fuzz COUNT [SEED]` (prints every failure,
exit 1 if any).
Seeds are `specs/`, the golden specs and, when it is present, `../shared/corpus` (documents
under 100 kB).
"""

from __future__ import annotations

import ast
import json
import math
import random
import string
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from naftiko_gen.diagnostics import Diagnostic
from naftiko_gen.pipeline import DocumentResult, Options, plan_document

from tests.corpus.harness import ruff_problems

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
MAX_SEED_BYTES = 100_000

ODD_STRINGS = (
    "",
    " ",
    "\n",
    '"""',
    "'''",
    "\\",
    "#",
    "{{x}}",
    "${x}",
    "a\nb\r\nc",
    "\t\x7f\x1b[31m",
    "\u2028\u2029",
    "\U0001f600",
    "..",
    "/",
    "-->",
    "`",
    "|",
    "%0A::error::forged",
    "x" * 5000,
    "1e400",
    "-1",
    "true",
    "null",
    "A=B",
    "$(touch x)",
    '"; import os; "',
)
SHORT_STRINGS = tuple(s for s in ODD_STRINGS if len(s) < 100)
ODD_SCALARS: tuple[Any, ...] = (None, True, False, 0, -1, 2**70, 1.5, 9000.0, float("nan"), [], {})


def seeds() -> list[Path]:
    """Every seed document, in a stable order."""
    found = sorted(REPO.glob("specs/*.yaml")) + sorted(REPO.glob("tests/golden/*/specs/*.yaml"))
    if CORPUS.is_dir():
        found += sorted(p for p in CORPUS.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    # The largest documents (a few MB) cost seconds each and find nothing smaller ones miss.
    return [p for p in found if p.stat().st_size < MAX_SEED_BYTES]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def _odd_value(rng: random.Random) -> Any:
    choice = rng.random()
    if choice < 0.5:
        return rng.choice(ODD_STRINGS)
    if choice < 0.8:
        return rng.choice(ODD_SCALARS)
    return "".join(rng.choice(string.printable) for _ in range(rng.randint(1, 40)))


def _mutate_tree(rng: random.Random, data: Any) -> Any:
    """One structural mutation: a type swapped, a key dropped or renamed, a deep nesting."""
    paths = list(_paths(data))
    path = rng.choice(paths)
    target = _get(data, path)
    action = rng.randrange(7)
    if action == 6:  # hostile text in many string fields at once (documents stay valid)
        for leaf in paths:
            if leaf and isinstance(_get(data, leaf), str) and rng.random() < 0.2:
                _set(data, leaf, _get(data, leaf) + rng.choice(SHORT_STRINGS))
        return data
    if action == 0:
        return _set(data, path, _odd_value(rng))
    if action == 1 and path:
        del _get(data, path[:-1])[path[-1]]
        return data
    if action == 2 and isinstance(target, dict) and target:
        key = rng.choice(list(target))
        target[rng.choice(ODD_STRINGS) or "k"] = target.pop(key)
        return data
    if action == 3:
        deep: Any = target
        for _ in range(rng.choice((5, 40, 120))):
            deep = [deep] if rng.random() < 0.5 else {"x": deep}
        return _set(data, path, deep)
    if action == 4 and isinstance(target, str):
        return _set(data, path, target + rng.choice(ODD_STRINGS) + target)
    if action == 5 and isinstance(target, list) and target:
        target.append(target[0])
        return data
    return _set(data, path, _odd_value(rng))


def _mutate_text(rng: random.Random, text: str) -> str:
    """One textual mutation: aliases, bad tags, duplicated or dropped lines, odd bytes."""
    lines = text.splitlines()
    action = rng.randrange(7)
    if action == 0:  # a billion laughs, at the end of the document
        bomb = ["lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        bomb += [f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
        return "\n".join([*lines, *bomb]) + "\n"
    if action == 1 and lines:  # a tag that cannot construct its value
        index = rng.randrange(len(lines))
        key, sep, value = lines[index].partition(": ")
        tag = rng.choice(("!!bool", "!!int", "!!float", "!!binary", "!!python/name:os.system"))
        odd = rng.choice(("maybe", "''", "x", ""))
        if sep:
            lines[index] = f"{key}: {tag} {odd}"
        return "\n".join(lines) + "\n"
    if action == 2 and lines:  # a duplicated line (a duplicate key, often)
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])
        return "\n".join(lines) + "\n"
    if action == 3 and lines:
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines) + "\n"
    if action == 4 and lines:  # an anchor and an alias to it
        index = rng.randrange(len(lines))
        key, sep, value = lines[index].partition(": ")
        if sep and value.strip():
            lines[index] = f"{key}: &anchor {value}"
            lines.append("extra: *anchor")
        return "\n".join(lines) + "\n"
    if action == 5:  # nesting far deeper than any document needs
        depth = rng.choice((200, 5000))
        return text + "\ndeep: " + "[" * depth + "]" * depth + "\n"
    index = rng.randrange(len(text) + 1)
    return text[:index] + rng.choice(ODD_STRINGS) + text[index:]


def mutant(rng: random.Random, sources: list[Path]) -> str:
    """A mutated document (YAML text) from a random seed."""
    text = rng.choice(sources).read_text(encoding="utf-8", errors="replace")
    if rng.random() < 0.5:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if data is not None:
            for _ in range(rng.randint(1, 4)):
                data = _mutate_tree(rng, data)
            try:
                return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)
            except RecursionError:  # nested too deep for PyYAML's emitter: mutate the text
                pass
    for _ in range(rng.randint(1, 3)):
        text = _mutate_text(rng, text)
    return text


def _diagnostic_problems(diagnostic: Diagnostic) -> list[str]:
    problems = []
    text = diagnostic.message + (diagnostic.hint or "")
    if any(c in text for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        problems.append(f"multi-line diagnostic: {diagnostic.format()!r}")
    if diagnostic.loc is None:
        problems.append(f"unlocated diagnostic: {diagnostic.format()!r}")
    if diagnostic.code == "NG900":
        problems.append(f"internal error: {diagnostic.format()!r}")
    return problems


def _output_problems(files: dict[str, bytes]) -> list[str]:
    problems = []
    for path, data in files.items():
        try:
            text = data.decode("utf-8")
            if path.endswith(".py"):
                ast.parse(text, path)
            elif path.endswith(".toml"):
                tomllib.loads(text)
            elif path.endswith(".json"):
                json.loads(text)
        except (SyntaxError, ValueError) as exc:
            problems.append(f"{path} does not parse: {exc}")
    return problems


def check(result: DocumentResult) -> list[str]:
    """Everything wrong with one outcome (empty when it is fine)."""
    problems = [p for d in result.diagnostics for p in _diagnostic_problems(d)]
    if result.files is not None:
        problems += _output_problems(result.files)
    return problems


def run(
    count: int,
    seed: int,
    folder: Path,
    report: Callable[[str, str], None] | None = None,
    seconds: float = math.inf,
) -> list[tuple[str, str]]:
    """Plan `count` mutants (fewer if `seconds` run out); the (document, problem) pairs found.

    The Python files of every accepted mutant are then linted and format-checked by ruff, all
    in one batch (`ruff_problems`, as the corpus harness does).
    """
    sources = seeds()
    rng = random.Random(seed)
    found: list[tuple[str, str]] = []
    accepted: dict[Path, str] = {}  # package folder → its mutant
    deadline = time.monotonic() + seconds
    for index in range(count):
        if time.monotonic() > deadline:
            break
        text = mutant(rng, sources)
        spec = folder / f"mutant-{index}.yaml"
        spec.write_text(text, encoding="utf-8", errors="surrogateescape")
        result = plan_document(spec, spec.name, Options())
        problems = check(result)
        found += _reported([(text, problem) for problem in problems], report)
        if result.files is not None and not problems:
            accepted[_write_python(folder / f"mutant-{index}", result.files)] = text
    files = [f for package in accepted for f in sorted(package.rglob("*.py"))]
    first_party = {p.name for package in accepted for p in (package / "src").glob("*/")}
    for file, problems in sorted(ruff_problems(files, first_party).items()):
        package = next(p for p in file.parents if p in accepted)
        rel = file.relative_to(package).as_posix()
        found += _reported([(accepted[package], f"{rel}: {p}") for p in problems], report)
    return found


def _reported(
    found: list[tuple[str, str]], report: Callable[[str, str], None] | None
) -> list[tuple[str, str]]:
    for text, problem in found:
        if report:
            report(text, problem)
    return found


def _write_python(package: Path, files: dict[str, bytes]) -> Path:
    """Write the Python files of a generated package under `package`."""
    for name, data in files.items():
        if name.endswith(".py"):
            path = package / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return package


if __name__ == "__main__":
    import tempfile

    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        found = run(
            total,
            int(sys.argv[2]) if len(sys.argv) > 2 else 0,
            Path(tmp),
            lambda text, problem: print(problem[:400]),
        )
    sys.exit(1 if found else 0)
