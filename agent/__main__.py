"""`python -m agent` is the `dobby` command."""

from agent.cli import main

main()
