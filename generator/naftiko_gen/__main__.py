"""`python -m naftiko_gen` runs the command line."""

from .cli import main

main()
