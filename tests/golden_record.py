"""Golden records: one full record, and variant records storing only what differs from it.

The full record (`tests/golden/sentry-seed`) keeps its complete generated tree under `expected/`.
Every other case keeps under `expected/` only the files whose bytes differ from the full record's
file at the same package-relative path (the import package folder `src/<pkg>/` is mapped between
packages), and one listing, `expected-files.txt`, naming every file the case generates:

    = step-1-shipyard-mock/src/step_1_shipyard_mock/py.typed
    + step-1-shipyard-mock/README.md

`=` is "byte-identical to the full record", `+` is "stored under expected/". The expected tree of
a case is rebuilt from both, so an added, missing or renamed file is caught, and so is a file that
stops (or starts) being identical to the full record. Records are written only by
`python -m pytest tests/test_golden.py --update-golden`.
"""

from __future__ import annotations

import atexit
import difflib
import functools
import shutil
import tempfile
from pathlib import Path, PurePosixPath

Tree = dict[str, bytes]  # path relative to the output folder ("<package>/<file>") → bytes

GOLDEN = Path(__file__).parent / "golden"
FULL_RECORD = "sentry-seed"
LISTING = "expected-files.txt"
UPDATE = "python -m pytest tests/test_golden.py --update-golden"
SAME, STORED = "=", "+"
HEADER = f"""\
# Every file this golden case generates, relative to expected/:
# "{SAME}" byte-identical to the full record (tests/golden/{FULL_RECORD}) at the same
#     package-relative path (src/<import package>/ mapped), "{STORED}" stored under expected/.
# Written only by: {UPDATE}
"""


class RecordError(Exception):
    """A golden record that is inconsistent with itself or with the full record."""


def read_tree(root: Path) -> Tree:
    """Every file under `root`, by its POSIX path relative to `root`."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def write_tree(root: Path, tree: Tree) -> None:
    for name, data in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def package_relative(name: str) -> str:
    """`<package>/src/<import package>/x.py` → `src/*/x.py`: the path a file has in any package."""
    parts = PurePosixPath(name).parts[1:]
    if len(parts) > 2 and parts[0] == "src":
        parts = ("src", "*", *parts[2:])
    return "/".join(parts)


def full_record_files(full: Tree) -> Tree:
    """The full record's files by package-relative path (the full record is one package)."""
    packages = {PurePosixPath(name).parts[0] for name in full}
    if len(packages) != 1:
        raise RecordError(f"the full record {FULL_RECORD} must be one package, not {packages}")
    return {package_relative(name): data for name, data in full.items()}


def variant_record(full: Tree, actual: Tree) -> tuple[str, Tree]:
    """(listing, stored files) recording `actual` against the full record `full`."""
    shared = full_record_files(full)
    lines, stored = [], {}
    for name, data in sorted(actual.items()):
        if shared.get(package_relative(name)) == data:
            lines.append(f"{SAME} {name}")
        else:
            lines.append(f"{STORED} {name}")
            stored[name] = data
    return HEADER + "".join(f"{line}\n" for line in lines), stored


def variant_tree(full: Tree, listing: str, stored: Tree) -> Tree:
    """The complete expected tree of a variant record; RecordError when the record is not one
    that `variant_record` writes (a stored file not listed, or identical to the full record)."""
    shared = full_record_files(full)
    tree: Tree = {}
    errors: list[str] = []
    listed: set[str] = set()
    for number, line in enumerate(listing.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        mark, _, name = line.partition(" ")
        listed.add(name)
        same = shared.get(package_relative(name))
        if mark == SAME and same is not None:
            tree[name] = same
        elif mark == SAME:
            errors.append(f"{LISTING}:{number}: {name} is not in the full record any more")
        elif mark == STORED and name not in stored:
            errors.append(f"{LISTING}:{number}: {name} is listed as stored but missing")
        elif mark == STORED and stored[name] == same:
            errors.append(f"{LISTING}:{number}: {name} is stored but equals the full record")
        elif mark == STORED:
            tree[name] = stored[name]
        else:
            errors.append(f"{LISTING}:{number}: not '{SAME} path' nor '{STORED} path': {line!r}")
    errors += [
        f"expected/{name} is stored but not listed" for name in sorted(stored.keys() - listed)
    ]
    if errors:
        raise RecordError("\n".join(errors))
    return tree


def expected_tree(case: Path) -> Tree:
    """The complete tree a case's specs must generate, rebuilt from its record."""
    stored = read_tree(case / "expected")
    if case.name == FULL_RECORD:
        return stored
    full = read_tree(case.parent / FULL_RECORD / "expected")
    listing = (case / LISTING).read_text(encoding="utf-8")
    try:
        return variant_tree(full, listing, stored)
    except RecordError as error:
        raise RecordError(f"{case.name}: {error}") from None


def write_record(case: Path, actual: Tree, full: Tree) -> None:
    """Replace the case's record by one of `actual` (the full record when the case is it)."""
    shutil.rmtree(case / "expected", ignore_errors=True)
    if case.name == FULL_RECORD:
        write_tree(case / "expected", actual)
        return
    listing, stored = variant_record(full, actual)
    write_tree(case / "expected", stored)
    (case / LISTING).write_text(listing, encoding="utf-8")


def differences(expected: Tree, actual: Tree) -> list[str]:
    """One readable entry per file that is missing, unexpected or different (a unified diff)."""
    found = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            found.append(f"missing: {name} is no longer generated")
        elif name not in expected:
            found.append(f"new: {name} is generated but not in the golden record")
        elif expected[name] != actual[name]:
            found.append(unified_diff(name, expected[name], actual[name]))
    return found


def problems(case: Path, actual: Tree) -> list[str]:
    """Why the case's record does not match `actual`, the tree its specs generate now."""
    try:
        return differences(expected_tree(case), actual)
    except RecordError as error:
        return [str(error)]


def unified_diff(name: str, expected: bytes, actual: bytes) -> str:
    try:
        old, new = expected.decode("utf-8"), actual.decode("utf-8")
    except UnicodeDecodeError:
        return f"changed: {name} (binary content differs)"
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        f"golden/{name}",
        f"generated/{name}",
    )
    return "".join(lines)


@functools.cache
def materialized() -> Path:
    """A temporary folder holding every golden case's complete tree as `<case>/expected/...`
    (rebuilt once per process, removed at exit), for tests that read golden packages as files."""
    root = Path(tempfile.mkdtemp(prefix="naftiko-gen-golden-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    for case in sorted(GOLDEN.iterdir()):
        if not (case / "specs").is_dir():
            continue
        try:
            write_tree(root / case.name / "expected", expected_tree(case))
        except RecordError as error:
            raise RecordError(f"{error}\nRun: {UPDATE}") from None
    return root
