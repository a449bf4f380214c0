"""REST throughput and latency: upstream direct, hand-written Starlette + httpx2 proxy, generated.

Run: python bench/rest_throughput.py [--quick] [--runs 5] [--workers 1,2] [--generated-cmd CMD]
"""

from _servers import STARLETTE_PROXY
from _throughput import run

if __name__ == "__main__":
    run(
        "rest",
        "rest_throughput",
        [STARLETTE_PROXY],
        references=["starlette-proxy"],
        description=__doc__ or "",
    )
