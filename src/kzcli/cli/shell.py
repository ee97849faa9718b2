"""`kz completion SHELL`: the script that teaches bash, zsh or fish kz's commands, options and names.

The scripts ask kz itself (through Typer's completion protocol) and never fall back
to file names: kz offers files only where a path is expected (complete_path).
"""

from enum import Enum
from typing import Annotated

import typer

from kzcli.cli.app import command, emit_text, handles_errors

BASH = """\
# kz completion for bash: source this file, or put it in ~/.local/share/bash-completion/completions/kz
_kz_complete() {
    local IFS=$'\\n'
    COMPREPLY=( $(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD _KZ_COMPLETE=complete_bash "$1") )
    return 0
}
complete -o nosort -F _kz_complete kz"""

ZSH = """\
#compdef kz
# kz completion for zsh: put this file in a folder on $fpath as _kz, or source it after compinit
_kz_complete() {
    local answer
    answer=$(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _KZ_COMPLETE=complete_zsh kz)
    [[ $answer == _files ]] || eval "$answer"
}
compdef _kz_complete kz"""

FISH = """\
# kz completion for fish: put this file in ~/.config/fish/completions/kz.fish
function __kz_complete
    env _KZ_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args \\
        _TYPER_COMPLETE_ARGS=(commandline -cp) kz
end
complete --command kz --no-files --arguments "(__kz_complete)"
"""


class Shell(str, Enum):
    """The shells kz writes a completion script for."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"


SCRIPTS = {Shell.bash: BASH, Shell.zsh: ZSH, Shell.fish: FISH}


@command(rich_help_panel="Shell")
@handles_errors
def completion(
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.", case_sensitive=False)],
) -> None:
    """Print the shell completion script: commands, options, names and aliases, metrics and ids."""
    emit_text(SCRIPTS[shell])
