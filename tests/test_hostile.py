"""Hostile file names and strings: generation escapes or refuses them, and nothing of theirs runs.

The document is the golden `hostile-strings` spec (every string field written to break out of
the code it lands in); it is generated under file names written to do the same. Every payload
would create a file named `pwned`: after generating, importing every module, running the
package's own tests and starting its server, no such file may exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from naftiko_gen.diagnostics import Severity
from naftiko_gen.pipeline import Options, plan_document

from tests.e2e.harness import free_port

from .generation import REPO

SPEC = REPO / "tests" / "golden" / "hostile-strings" / "specs" / "hostile-strings.yaml"
BIN = Path(sys.executable).parent
MARKER = "pwned"

# File names (as bytes: one is not UTF-8) that end a docstring, a comment, a TOML string, a
# Markdown code span or an HTML comment, each then running code that creates the marker.
NAMES = (
    b'x""";open("pwned","w");"""x.yaml',
    b"nl\nopen('pwned','w')\r\n#.yaml",
    b"hash#\"];open('pwned','w')#.yaml",
    b'bytes\xff\xfe"""open("pwned","w")\'\'\'.yaml',
    b"md-->`$(touch pwned)`<!--\\.yaml",
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """Every hostile name generated in one run; returns the work folder and the packages."""
    work = tmp_path_factory.mktemp("hostile")
    specs = []
    for name in NAMES:
        spec = os.path.join(os.fsencode(work), name)
        shutil.copyfile(SPEC, spec)
        specs.append(spec)
    done = subprocess.run(
        [os.fsencode(BIN / "naftiko-gen"), *specs, b"-o", b"out", b"-q"],
        cwd=work,
        capture_output=True,
        check=False,
        timeout=300,
    )
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 0, stderr
    for line in stderr.splitlines():  # the warnings, each one line naming the file
        assert "warning[NG010]" in line, line
    packages = sorted(p.parent for p in (work / "out").glob("*/.naftiko-gen"))
    assert len(packages) == len(NAMES)
    return work, packages


def _python(cwd: Path, env: dict[str, str], *args: str) -> None:
    """Run Python in `cwd` and require it to succeed."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _no_marker(work: Path) -> None:
    assert not list(work.rglob(MARKER)), "a payload ran"


def test_every_file_parses_and_headers_stay_one_line(generated: tuple[Path, list[Path]]) -> None:
    work, packages = generated
    for package in packages:
        tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
        for path in package.rglob("*"):
            if path.suffix == ".py":
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
            if path.is_file() and path.suffix != ".json" and path.name != "py.typed":
                first = path.read_text(encoding="utf-8").splitlines()[0]
                assert first.endswith(("DO NOT EDIT.", "DO NOT EDIT. -->")), (path, first)
    _no_marker(work)


def test_importing_every_module_runs_nothing(generated: tuple[Path, list[Path]]) -> None:
    work, packages = generated
    modules = [
        f"{path.parent.name}.{path.stem}".removesuffix(".__init__")
        for package in packages
        for path in (package / "src").glob("*/*.py")
        if path.stem != "__main__"
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p / "src") for p in packages)}
    importer = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    _python(work, env, "-c", importer, *modules)
    _no_marker(work)


def test_the_package_tests_pass_and_run_nothing(generated: tuple[Path, list[Path]]) -> None:
    work, packages = generated
    package = packages[0]
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    _python(package, env, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    _no_marker(work)


def test_the_server_starts_and_runs_nothing(generated: tuple[Path, list[Path]]) -> None:
    work, packages = generated
    package = packages[0]
    rest, mcp = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(package / "src"),
        "HOSTILE_TOKEN": "t",
        "HOSTILE_REST_HOST": "127.0.0.1",
        "HOSTILE_REST_PORT": str(rest),
        "HOSTILE_MCP_HOST": "127.0.0.1",
        "HOSTILE_MCP_PORT": str(mcp),
    }
    module = next((package / "src").iterdir()).name
    server = subprocess.Popen(
        [sys.executable, "-m", module, "serve", "--mock"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{rest}/health/live", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    _no_marker(work)


def test_refused_names_are_one_located_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "naftiko: 1.0.0-alpha2\n"
        "binds:\n"
        "  - namespace: env\n"
        "    keys:\n"
        '      TOKEN: "$(touch pwned)=\\n"\n'
        "capability:\n"
        "  consumes:\n"
        "    - {type: http, namespace: up, baseUri: 'https://x.test', resources: [{name: r,\n"
        "        path: /r, operations: [{name: o, method: GET, inputParameters: [\n"
        "          {name: 'X Y', in: environment}]}]}]}\n"
        "  exposes:\n"
        "    - type: rest\n"
        "      namespace: api\n"
        "      port: true\n"
        "      resources: []\n"
        "    - type: mcp\n"
        "      namespace: tools\n"
        "      port: 9000.0\n"
        "      tools: []\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [BIN / "naftiko-gen", spec.name, "-o", "out", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error[" in line]
    assert errors == [
        "bad.yaml:5:14: error[NG111]: '$(touch pwned)=\\n' cannot name an environment variable",
        "bad.yaml:10:18: error[NG111]: 'X Y' cannot name an environment variable",
        "bad.yaml:14:13: error[NG109]: port True is not a whole number from 1 to 65535",
        "bad.yaml:18:13: error[NG109]: port 9000.0 is not a whole number from 1 to 65535",
    ]
    assert not (tmp_path / "out").exists()


IMPORTING = """\
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - location: {location}
      import: api
  exposes:
    - type: mcp
      port: 9090
      namespace: m
      tools:
        - name: list
          description: List
          call: api.list
"""
SHARED_CONSUMES = """\
naftiko: 1.0.0-alpha2
consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.com
    resources:
      - name: things
        path: /things
        operations:
          - name: list
            method: GET
"""


@pytest.mark.parametrize(
    ("location", "found"),
    [
        ("./shared/api.yaml", True),  # beside the spec
        ("./up.yaml", True),  # in a parent folder, inside the repository
        ("./outside.yaml", False),  # above the repository root
        ("../up.yaml", True),  # `..` inside the repository
        ("../../outside.yaml", False),  # `..` leading out of it
        ("/etc/passwd", False),  # so are absolute paths
        ("./shared/link.yaml", False),  # a symlink leading out of the repository
    ],
)
def test_imports_stay_inside_the_repository(tmp_path: Path, location: str, found: bool) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "specs" / "shared").mkdir(parents=True)
    (repo / "specs" / "shared" / "api.yaml").write_text(SHARED_CONSUMES, encoding="utf-8")
    (repo / "up.yaml").write_text(SHARED_CONSUMES, encoding="utf-8")
    (tmp_path / "outside.yaml").write_text(SHARED_CONSUMES, encoding="utf-8")
    (repo / "specs" / "shared" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    spec = repo / "specs" / "cap.yaml"
    spec.write_text(IMPORTING.format(location=location), encoding="utf-8")
    result = plan_document(spec, "specs/cap.yaml", Options())
    errors = [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]
    if found:
        assert errors == [] and result.files is not None
    else:
        assert errors == [
            f"specs/cap.yaml:4:17: error[NG108]: cannot import consumes from '{location}': "
            "no such file\n"
            "  hint: the path is relative to the importing file, inside its repository"
        ]


def test_github_annotations_cannot_be_forged_by_document_text(tmp_path: Path) -> None:
    spec = tmp_path / "a,b:c%.yaml"
    call = "x.y\\n::add-mask::secret\\r\\n::error::forged%"
    spec.write_text(
        "naftiko: 1.0.0-alpha2\n"
        "capability:\n"
        "  exposes:\n"
        "    - type: mcp\n"
        "      namespace: m\n"
        "      port: 9090\n"
        "      tools:\n"
        f'        - {{name: t, description: d, call: "{call}"}}\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [BIN / "naftiko-gen", spec.name, "-o", "out", "-q", "--diagnostics-format", "github"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert any("::add-mask::secret" in line for line in lines)  # the text is there, escaped
    prefixes = tuple(f"::{kind} file=a%2Cb%3Ac%25.yaml,line=" for kind in ("error", "warning"))
    assert all(line.startswith(prefixes) for line in lines), done.stderr
