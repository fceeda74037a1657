"""``python -m dmst``."""

from dmst.cli import main

main()
