"""`python -m kt_lrsearch ...`: the commands of the installed `kt-lrsearch`."""

from kt_lrsearch.app.cli import main

if __name__ == "__main__":
    main(prog_name="kt-lrsearch")
