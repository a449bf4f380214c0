"""Package names of a run (packages.assign): unique, folder-qualified, order-independent."""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_gen.packages import assign

ROOT = Path("/project")


def names(*specs: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    paths = [ROOT / s for s in specs]
    given = {ROOT / s: n for s, n in (overrides or {}).items()}
    assigned, conflicts = assign(paths, ROOT, given)
    assert not conflicts
    return {p.relative_to(ROOT).as_posix(): n for p, n in assigned.items()}


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["specs/billing.yaml"], ["billing"]),
        (["specs/billing.yaml", "specs/eu/billing.yaml"], ["billing", "eu-billing"]),
        (["specs/us/billing.yaml", "specs/eu/billing.yaml"], ["us-billing", "eu-billing"]),
        (["a/x/s.yaml", "b/x/s.yaml"], ["a-x-s", "b-x-s"]),
        (["Team A/My Spec.yaml", "team-b/My Spec.yaml"], ["team-a-my-spec", "team-b-my-spec"]),
    ],
)
def test_names_are_unique_and_independent_of_order(specs: list[str], expected: list[str]) -> None:
    assert list(names(*specs).values()) == expected
    assert list(names(*reversed(specs)).values()) == list(reversed(expected))


def test_an_override_is_used_as_is_and_others_keep_their_file_name() -> None:
    result = names(
        "specs/billing.yaml", "specs/eu/billing.yaml", overrides={"specs/eu/billing.yaml": "eu"}
    )
    assert result == {"specs/billing.yaml": "billing", "specs/eu/billing.yaml": "eu"}


def test_a_name_still_shared_is_reported_for_every_spec() -> None:
    specs = [ROOT / "a.yaml", ROOT / "b.yaml"]
    _, conflicts = assign(specs, ROOT, {ROOT / "b.yaml": "a"})
    assert conflicts == {"a": specs}


def test_specs_outside_the_root_use_their_absolute_folders() -> None:
    specs = [Path("/elsewhere/one/x.yaml"), Path("/elsewhere/two/x.yaml")]
    assigned, _ = assign(specs, ROOT, {})
    assert list(assigned.values()) == ["one-x", "two-x"]
