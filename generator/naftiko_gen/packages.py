"""Package names for a run: one per document, unique, whatever order the documents come in.

A document's package is named after its file (`specs/billing.yaml` → `billing`). When several
documents of one run share a file name, each of them is named with as many of its parent folders
(relative to the project root, leaving out the folders they all share) as it takes to tell them
apart: `specs/a/x.yaml` and `specs/b/x.yaml` become `a-x` and `b-x`; `specs/x.yaml` and
`specs/sub/x.yaml` become `x` and `sub-x`. A name given in
`[tool.naftiko-gen.packages]` is used as is. Two documents that still end up with one name are an
error for both (NG021): neither silently overwrites the other.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .naming import dist_name


def _folders(spec: Path, root: Path) -> tuple[str, ...]:
    """The folders between `root` and the spec (all of them when it lies outside `root`)."""
    try:
        return spec.relative_to(root).parent.parts
    except ValueError:
        return spec.parent.parts[1:]


def _qualified(group: list[Path], root: Path) -> dict[Path, str]:
    """Names for specs sharing a file name: the fewest parent folders that make them unique.

    Folders all of them share (`specs/` in `specs/x.yaml`, `specs/a/x.yaml`) say nothing and
    are left out.
    """
    folders = {spec: _folders(spec, root) for spec in group}
    shared = 0
    while all(len(f) > shared for f in folders.values()) and (
        len({f[shared] for f in folders.values()}) == 1
    ):
        shared += 1
    folders = {spec: f[shared:] for spec, f in folders.items()}
    names = {spec: dist_name(spec.stem) for spec in group}
    for levels in range(1, max(map(len, folders.values())) + 1):
        names = {spec: dist_name("-".join((*folders[spec][-levels:], spec.stem))) for spec in group}
        if len(set(names.values())) == len(group):
            break
    return names


def assign(
    specs: list[Path], root: Path, overrides: dict[Path, str]
) -> tuple[dict[Path, str], dict[str, list[Path]]]:
    """Each spec's package name, and the names still shared by several specs (conflicts).

    `specs` and the keys of `overrides` are resolved paths.
    """
    names: dict[Path, str] = {}
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for spec in specs:
        if spec in overrides:
            names[spec] = overrides[spec]
        else:
            by_stem[dist_name(spec.stem)].append(spec)
    for stem, group in by_stem.items():
        names.update(_qualified(group, root) if len(group) > 1 else {group[0]: stem})
    users: dict[str, list[Path]] = defaultdict(list)
    for spec in specs:
        users[names[spec]].append(spec)
    return names, {name: paths for name, paths in users.items() if len(paths) > 1}
