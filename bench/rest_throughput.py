"""REST throughput and latency: upstream direct, hand-written Starlette and FastAPI proxies, and
the generated adapter.

Run: python bench/rest_throughput.py [--quick] [--runs 5] [--workers 1,2] [--generated-cmd CMD]
"""

from _servers import FASTAPI_PROXY, STARLETTE_PROXY
from _throughput import run

if __name__ == "__main__":
    run(
        "rest",
        "rest_throughput",
        [STARLETTE_PROXY, FASTAPI_PROXY],
        references=["starlette-proxy", "fastapi-proxy"],
        description=__doc__ or "",
    )
