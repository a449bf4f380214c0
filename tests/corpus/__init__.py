"""The corpus harness: every real capability document generated, linted, imported and called.

Run it with `python -m tests.corpus ../shared/corpus` (see README.md in this folder).
"""
