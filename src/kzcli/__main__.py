"""Allow `python -m kzcli`."""

from kzcli.entry import main

main()
