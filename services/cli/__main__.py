"""`python -m services.cli`: the `casebook` command."""

from services.cli.main import main

main()
