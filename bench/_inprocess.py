"""In-process generation timing, run by generation.py with naftiko-gen's own interpreter.

One process runs the naftiko-gen command itself (`-j 1 -q`) RUNS + 1 times into a fresh OUT,
then `--check` on the unchanged tree RUNS times: what the CLI does, without interpreter start-up
or worker processes. The first generation run also pays for one-time work (imports, template
compilation, schema loading); it is reported apart and left out of the medians.

Usage: python _inprocess.py RUNS OUT DOC... ; prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import shutil
import sys
import time

from naftiko_gen.cli import main as naftiko_gen


def once(argv: list[str]) -> tuple[float, int]:
    """Seconds and exit code of one naftiko-gen command, run in this process."""
    started = time.perf_counter()
    try:
        naftiko_gen.main(argv, standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return time.perf_counter() - started, code


def main() -> None:
    runs, out, docs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    argv = [*docs, "-o", out, "-j", "1", "-q"]
    generate = []
    for _ in range(runs + 1):
        shutil.rmtree(out, ignore_errors=True)
        generate.append(once(argv))
    check = [once([*argv, "--check"]) for _ in range(runs)]
    # Documents rejected for their own faults make both exit 2; otherwise --check must find
    # nothing to change (0), since the tree was just written.
    codes = {code for _, code in generate + check}
    assert len(codes) == 1 and codes <= {0, 2}, f"exit codes {codes}"
    result = {
        "first": generate[0][0],
        "generate": [s for s, _ in generate[1:]],
        "check": [s for s, _ in check],
        "exit_code": codes.pop(),
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
