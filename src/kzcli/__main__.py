"""Allow `python -m kzcli`."""

from kzcli.cli import main

main()
