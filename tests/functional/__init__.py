"""Functional tests: one per construct of SEMANTICS.md §2 to §7 (issue 3, proof item 4).

Each test generates a small document into a temporary folder, imports the package and drives
its REST app and/or MCP server in process against a recording fake upstream.
"""
