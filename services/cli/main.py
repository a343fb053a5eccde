"""The `casebook` command line: serve, migrate, demo, token (cli/serving.py); project,
rebuild, relay, tail (cli/workers.py); verify, replay, export (cli/audit.py);
reindex-candidates (cli/candidates.py)."""

from __future__ import annotations

import sys

import typer

from services.cli import audit, candidates, serving, workers
from services.cli.common import console, one_line

cli = typer.Typer(
    help="casebook: one continuous history for every company.",
    no_args_is_help=True,
    add_completion=False,
)
serving.register(cli)
workers.register(cli)
audit.register(cli)
candidates.register(cli)


def main() -> None:
    """Entry point: any failure exits non-zero with a one-line reason."""
    try:
        # Without standalone mode click returns a typer.Exit's code instead of raising.
        code = cli(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:  # the CLI's contract: one line, non-zero exit
        # typer vendors its own click, so its exceptions are matched by shape.
        if type(e).__name__ == "NoArgsIsHelpError":
            sys.exit(2)  # the help was printed
        if hasattr(e, "show") and hasattr(e, "exit_code"):
            e.show()
            sys.exit(e.exit_code)
        console.print(
            f"casebook: error: {one_line(e)}", soft_wrap=True, highlight=False, markup=False
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
