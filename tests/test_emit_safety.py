"""Emit never leaves the output folder, never follows a link, and is all-or-nothing per package.

The interruption test kills the generator (`os._exit`) at every file-system step of one
regeneration in turn, then checks the package is old or new, that the next run repairs it
(stale files gone, no staging folders left, no false "edited by hand" warning) and that
`--check` is honest before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from naftiko_gen.cli import main

from .generation import REPO

SEED = REPO / "specs" / "sentry-integration-platform-external-issues.yaml"
NAME = "cap"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def tree(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` (links not followed) by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    target = tmp_path / f"{NAME}.yaml"
    shutil.copy(SEED, target)
    return target


@pytest.fixture
def out(tmp_path: Path, spec: Path) -> Path:
    target = tmp_path / "out"
    result = run(spec, "-o", target, "-q")
    assert result.exit_code == 0, result.output
    return target


def _relabel(spec: Path, label: str) -> None:
    text = spec.read_text(encoding="utf-8")
    start = text.index("label:")
    end = text.index("\n", start)
    spec.write_text(text[:start] + f"label: {label}" + text[end:], encoding="utf-8")


def test_writes_do_not_follow_a_symlinked_folder(out: Path, spec: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    package_src = next((out / NAME / "src").iterdir())
    shutil.copytree(package_src, outside)
    shutil.rmtree(package_src)
    package_src.symlink_to(outside)
    before = tree(outside)
    _relabel(spec, "Relabelled")
    result = run(spec, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    assert tree(outside) == before
    assert not package_src.is_symlink() and (package_src / "rest.py").is_file()


def test_a_manifest_entry_through_a_symlink_deletes_nothing_outside(
    out: Path, spec: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("keep")
    (out / NAME / "link").symlink_to(victim.parent)
    manifest_path = out / NAME / ".naftiko-gen" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["link/victim.txt"] = "0" * 64
    manifest["files"]["x" * 300] = "0" * 64  # a name too long: not ours, not an error
    manifest_path.write_text(json.dumps(manifest))
    assert run(spec, "-o", out, "-q").exit_code == 0
    assert victim.read_text() == "keep"


def test_check_does_not_print_what_a_symlink_points_to(
    out: Path, spec: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE\n")
    readme = out / NAME / "README.md"
    readme.unlink()
    readme.symlink_to(secret)
    result = run(spec, "-o", out, "--check")
    assert result.exit_code == 1
    assert "TOP-SECRET-VALUE" not in result.output
    assert run(spec, "-o", out, "-q").exit_code == 0
    assert not readme.is_symlink() and secret.read_text() == "TOP-SECRET-VALUE\n"


def test_a_folder_naftiko_gen_did_not_write_is_refused_without_force(
    tmp_path: Path, spec: Path
) -> None:
    package = tmp_path / "out" / NAME
    package.mkdir(parents=True)
    (package / "README.md").write_text("my own readme")
    result = run(spec, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 2
    assert "error[NG301]" in result.stderr and "--force" in result.stderr
    assert (package / "README.md").read_text() == "my own readme"
    result = run(spec, "-o", tmp_path / "out", "-q", "--force")
    assert result.exit_code == 0, result.output
    assert (package / "README.md").read_text() != "my own readme"
    assert run(spec, "-o", tmp_path / "out", "--check").exit_code == 0


def test_another_specs_package_is_refused_without_force(out: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / f"{NAME}.yml"
    other.parent.mkdir()
    shutil.copy(SEED, other)
    result = run(other, "-o", out, "-q")
    assert result.exit_code == 2
    assert "was generated from 'cap.yaml', not 'cap.yml'" in result.stderr
    assert run(other, "-o", out, "-q", "--force").exit_code == 0


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("output-under-a-file", "error[NG302]: cannot write "),
        ("long-name", "error[NG302]: cannot write "),
        ("file-where-package-goes", "error[NG301]: "),
    ],
)
def test_io_errors_are_diagnostics_with_exit_2(
    tmp_path: Path, spec: Path, case: str, message: str
) -> None:
    out = tmp_path / "out"
    if case == "output-under-a-file":
        out.write_text("a file")
        out = out / "sub"
    elif case == "file-where-package-goes":
        out.mkdir()
        (out / NAME).write_text("a file")
    else:
        out = tmp_path / ("x" * 300)
    result = run(spec, "-o", out, "-q")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = [line for line in result.stderr.splitlines() if "error[" in line]
    assert line.startswith(f"{spec.as_posix()}: {message}"), line
    if case == "file-where-package-goes":
        assert (out / NAME).read_text() == "a file"
        assert run(spec, "-o", out, "-q", "--force").exit_code == 0
        assert (out / NAME / "README.md").is_file()


def test_new_packages_follow_the_umask(tmp_path: Path, spec: Path) -> None:
    previous = os.umask(0o027)
    try:
        assert run(spec, "-o", tmp_path / "out", "-q").exit_code == 0
    finally:
        os.umask(previous)
    package = tmp_path / "out" / NAME
    assert package.stat().st_mode & 0o777 == 0o750
    assert (package / "README.md").stat().st_mode & 0o777 == 0o640


SMALL = REPO / "tests" / "golden" / "undeclared-path-variable" / "specs"
KILLER = """
import os, sys, shutil, tempfile
limit = int(os.environ["KILL_AT"])
calls = [0]
def hook(original):
    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] == limit:
            os._exit(99)
        return original(*args, **kwargs)
    return wrapped
# Every step that changes the output tree but the writes of single staged files (a kill
# between two of those is like one between the folder creations around them).
os.rename = hook(os.rename)
os.mkdir = hook(os.mkdir)
os.unlink = hook(os.unlink)
os.chmod = hook(os.chmod)
shutil.rmtree = hook(shutil.rmtree)
tempfile.mkdtemp = hook(tempfile.mkdtemp)
from naftiko_gen.cli import main
main(sys.argv[1:])
"""


def _view(out: Path, generated: set[str]) -> dict[str, bytes]:
    """The package as it stands: its folder, plus the user's files still in the old one set
    aside mid-swap (the next run moves them back), or the old one if it is all there is."""
    asides = list(out.glob(f".{NAME}.*.old"))
    if not (out / NAME).is_dir():
        (aside,) = asides
        return tree(aside)
    view = tree(out / NAME)
    for aside in asides:
        view |= {k: v for k, v in tree(aside).items() if k not in generated and k not in view}
    return view


def test_an_interrupted_regeneration_is_old_or_new_and_repaired(tmp_path: Path) -> None:
    spec = tmp_path / f"{NAME}.yaml"
    shutil.copy(next(SMALL.glob("*.yaml")), spec)
    out = tmp_path / "out"
    assert run(spec, "-o", out, "-q").exit_code == 0
    package = out / NAME
    (package / "notes.txt").write_text("the user's own file")
    stale = "src/stale/module.py"
    (package / "src" / "stale").mkdir()
    (package / stale).write_text("x = 1\n")
    manifest_path = package / ".naftiko-gen" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][stale] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    old = tree(package)
    pristine = tmp_path / "pristine"
    shutil.copytree(out, pristine, symlinks=True)
    spec.write_text(spec.read_text().replace("Get one ship", "Get one ship, relabelled"))
    expected = tmp_path / "expected"
    assert run(spec, "-o", expected, "-q").exit_code == 0
    new = {**tree(expected / NAME), "notes.txt": old["notes.txt"]}
    generated = set(manifest["files"]) | set(new) - {"notes.txt"}
    command = [sys.executable, "-c", KILLER, str(spec), "-o", str(out), "-q", "-j", "1"]
    for kill_at in range(1, 200):
        shutil.rmtree(out)
        shutil.copytree(pristine, out, symlinks=True)
        done = subprocess.run(
            command,
            env={**os.environ, "KILL_AT": str(kill_at)},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if done.returncode == 0:
            break
        assert done.returncode == 99, done.stderr
        view = _view(out, generated)
        assert view in (old, new), f"killed at step {kill_at}: neither old nor new"
        check = run(spec, "-o", out, "--check")
        assert check.exit_code == (0 if view == new else 1), kill_at
        repair = run(spec, "-o", out, "-q")
        assert repair.exit_code == 0, repair.output
        assert "edited by hand" not in repair.stderr, (kill_at, repair.stderr)
        assert tree(package) == new, kill_at
        assert sorted(p.name for p in out.iterdir()) == [NAME], kill_at
        assert run(spec, "-o", out, "--check").exit_code == 0, kill_at
    else:
        pytest.fail("the regeneration never completed")
    assert kill_at > 5, "the hook saw too few steps to test anything"
    assert tree(package) == new


def _aged(package: Path) -> None:
    """Make a package look written by an older run: another README and a stale module."""
    manifest_path = package / ".naftiko-gen" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for relative, text in (("README.md", "an older README\n"), ("src/stale.py", "x = 1\n")):
        (package / relative).write_text(text)
        manifest["files"][relative] = hashlib.sha256(text.encode()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    (package / "notes.txt").write_text("the user's own file")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_killed_at_a_random_moment_over_a_larger_tree(tmp_path: Path, seed: int) -> None:
    specs = sorted((REPO / "specs").glob("*.yaml"))
    names = sorted(p.name for p in (REPO / "generated").iterdir())
    pristine = tmp_path / "pristine"
    shutil.copytree(REPO / "generated", pristine)
    for name in names:
        _aged(pristine / name)
    old = {name: tree(pristine / name) for name in names}
    new = {
        name: {**tree(REPO / "generated" / name), "notes.txt": old[name]["notes.txt"]}
        for name in names
    }
    out = tmp_path / "out"
    shutil.copytree(pristine, out)
    command = [sys.executable, "-m", "naftiko_gen", *map(str, specs), "-o", str(out), "-q"]
    # Its own process group, killed whole as a cancelled CI job is: no planning worker outlives it.
    generator = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        generator.wait(timeout=random.Random(seed).uniform(0.5, 3))
    except subprocess.TimeoutExpired:
        os.killpg(generator.pid, signal.SIGKILL)
    generator.wait()
    for name in names:
        package = out / name
        if not package.is_dir():  # killed mid-swap: the old package is set aside
            (aside,) = out.glob(f".{name}.*.old")
            assert tree(aside) == old[name], name
            continue
        view = tree(package)
        for aside in out.glob(f".{name}.*.old"):  # the user's files not moved back yet
            view |= {k: v for k, v in tree(aside).items() if k == "notes.txt"}
        assert view in (old[name], new[name]), name
    repair = run(*specs, "-o", out, "-q")
    assert repair.exit_code == 0, repair.output
    assert "edited by hand" not in repair.stderr
    assert sorted(p.name for p in out.iterdir()) == names
    assert {name: tree(out / name) for name in names} == new
    assert run(*specs, "-o", out, "--check").exit_code == 0


def test_a_manifest_with_merge_conflict_markers_is_resolved_by_regenerating(
    out: Path, spec: Path
) -> None:
    """Two branches regenerated the package: git leaves markers in the manifest, and the other
    branch's files. `--check` reports the package as out of date (not as a folder naftiko-gen
    did not write); regenerating writes a clean manifest and removes what only the other
    branch generated."""
    manifest = out / NAME / ".naftiko-gen" / "manifest.json"
    ours = manifest.read_text()
    extra = out / NAME / "only-on-the-other-branch.txt"
    extra.write_text("generated on the other branch\n")
    digest = hashlib.sha256(extra.read_bytes()).hexdigest()
    theirs = json.loads(ours)
    theirs["files"]["only-on-the-other-branch.txt"] = digest
    lines_ours = ours.splitlines(keepends=True)
    lines_theirs = json.dumps(theirs, indent=2).splitlines(keepends=True)
    manifest.write_text(
        "".join(lines_ours[:1])
        + "<<<<<<< HEAD\n"
        + "".join(lines_ours[1:-1])
        + "=======\n"
        + "\n".join(line.rstrip("\n") for line in lines_theirs[1:-1])
        + "\n>>>>>>> feature\n"
        + lines_ours[-1]
    )
    checked = run(spec, "-o", out, "--check")
    assert checked.exit_code == 1, checked.output
    assert "NG301" not in checked.output
    assert run(spec, "-o", out, "-q").exit_code == 0
    assert manifest.read_text() == ours
    assert not extra.exists()
    assert run(spec, "-o", out, "--check").exit_code == 0
