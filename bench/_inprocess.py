"""In-process generation timing, run by generation.py with naftiko-gen's own interpreter.

One process plans and writes every document RUNS times into OUT, then checks the unchanged
tree RUNS times: what the CLI does per document, without interpreter start-up or worker
processes. The first generation run also pays for one-time work (imports, template compilation,
schema loading); it is reported apart and left out of the medians.

Usage: python _inprocess.py RUNS OUT DOC... ; prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from naftiko_gen import emit
from naftiko_gen.pipeline import Options, plan_document


def once(docs: list[Path], out: Path, check: bool) -> float:
    """Seconds to plan every document and write it (or compare it with `out`)."""
    started = time.perf_counter()
    written: set[str] = set()
    for doc in docs:
        result = plan_document(doc, doc.as_posix(), Options())
        if result.files is None or result.name is None or result.name in written:
            continue  # as the CLI: no output, or a package already written (NG102)
        written.add(result.name)
        if check:
            changes = emit.compare(out, result.name, result.files)
            assert not changes, f"{doc}: the tree changed between runs"
        else:
            emit.write(out, result.name, result.files)
    return time.perf_counter() - started


def main() -> None:
    runs, out, docs = int(sys.argv[1]), Path(sys.argv[2]), [Path(a) for a in sys.argv[3:]]
    generate = []
    for _ in range(runs + 1):
        shutil.rmtree(out, ignore_errors=True)
        generate.append(once(docs, out, check=False))
    check = [once(docs, out, check=True) for _ in range(runs)]
    json.dump({"first": generate[0], "generate": generate[1:], "check": check}, sys.stdout)


if __name__ == "__main__":
    main()
