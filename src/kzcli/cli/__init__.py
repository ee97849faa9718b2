"""The Typer shell: options in, a question asked, a renderer picked, errors mapped to exit codes.

The command modules register their commands on the one app when imported, and `kz --help`
lists them in import order, in panels: lookups, research, the knowledge base, the shell.
"""

# ruff: noqa: I001 - the import order is the order of `kz --help`
from kzcli.cli.app import app, main
from kzcli.cli import lookups
from kzcli.cli import research
from kzcli.cli import knowledge_base
from kzcli.cli import shell

__all__ = ["app", "knowledge_base", "lookups", "main", "research", "shell"]
