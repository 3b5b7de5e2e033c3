"""`python cli.py ...` in a checkout: the commands of the installed `kt-lrsearch`."""

from kt_lrsearch.app.cli import main

if __name__ == "__main__":
    main(prog_name="python cli.py")
