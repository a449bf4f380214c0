"""CI integrations: the repository's pre-commit hook, run by pre-commit itself; the Action."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .generation import REPO

SEED = REPO / "specs" / "sentry-integration-platform-external-issues.yaml"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


@pytest.mark.slow
def test_pre_commit_check_hook_passes_then_fails_after_an_edit(tmp_path: Path) -> None:
    """`pre-commit try-repo` installs this repository into its own venv and runs the hook."""
    repo = tmp_path / "project"
    (repo / "specs").mkdir(parents=True)
    shutil.copy(SEED, repo / "specs" / "seed.yaml")
    (repo / "pyproject.toml").write_text(
        '[tool.naftiko-gen]\nspecs = "specs/*.yaml"\noutput = "generated"\n'
    )
    naftiko_gen = Path(sys.executable).with_name("naftiko-gen")
    subprocess.run([naftiko_gen, "-q"], cwd=repo, check=True, capture_output=True, timeout=120)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    command: list[str | Path] = [
        Path(sys.executable).with_name("pre-commit"),
        "try-repo",
        REPO,
        "naftiko-gen-check",
        "--all-files",
    ]

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, timeout=600
        )

    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    readme = repo / "generated" / "seed" / "README.md"
    readme.write_text(readme.read_text() + "edited by hand\n")
    failed = hook()
    assert failed.returncode == 1
    assert "-edited by hand" in failed.stdout
    assert "generated code is out of date; run: naftiko-gen" in failed.stdout


def test_the_action_check_step_passes_then_fails_with_annotations(tmp_path: Path) -> None:
    """The Action's last step, run as the runner runs it (bash, inputs in the environment)."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert '"$GITHUB_ACTION_PATH"' in steps[1]["run"]
    check = steps[2]
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    shutil.copy(SEED, project / "specs" / "seed.yaml")
    (project / "pyproject.toml").write_text(
        '[tool.naftiko-gen]\nspecs = "specs/*.yaml"\noutput = "generated"\n'
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NAFTIKO_GEN_ARGS": "",
    }

    def step(args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", check["run"]],
            cwd=project,
            env={**env, "NAFTIKO_GEN_ARGS": args},
            capture_output=True,
            text=True,
            timeout=120,
        )

    missing = step("")
    assert missing.returncode == 1, "nothing generated yet: the check fails"
    assert "+++ b/seed/README.md" in missing.stdout
    assert "::warning file=specs/seed.yaml,line=" in missing.stderr
    subprocess.run(["naftiko-gen", "-q"], cwd=project, env=env, check=True, timeout=120)
    assert step("").returncode == 0
    assert step("specs/seed.yaml -o elsewhere").returncode == 1, "args reach the command"
    readme = (REPO / "README.md").read_text()
    assert "uses: naftiko/naftiko-gen@" in readme
