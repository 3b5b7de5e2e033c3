"""How tall report.html renders in headless Chromium at 1280 px wide (issue 13: < 3000 px).

Loads a copy of the report with a one-line script appended that writes the page's
height (``document.documentElement.scrollHeight``, nothing expanded) into the
title, reads it back with ``--dump-dom``, and saves a full-page screenshot next
to the copy for a look. Needs Debian's chromium (``apt-get install chromium``);
not part of ``make test``.

Run: .venv/bin/python bench/check_report_layout.py RUN_DIR [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import pathlib
import re
import subprocess
import tempfile

WIDTH = 1280
# Flags the workplace's probe uses: headless, no network chatter, a fresh profile.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
PROBE = (
    "<script>addEventListener('load',()=>{document.title='HEIGHT='+"
    "document.documentElement.scrollHeight})</script>"
)


def _chromium(binary: str, profile: str, *args: str) -> str:
    command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def measure(report: pathlib.Path, binary: str) -> tuple[int, pathlib.Path]:
    """(height in CSS px at WIDTH, screenshot path) of ``report`` as first shown."""
    out = pathlib.Path(tempfile.mkdtemp(prefix="report-layout-"))
    page = out / "report.html"
    page.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium(
        binary, str(out / "profile"), f"--window-size={WIDTH},900", "--dump-dom", page.as_uri()
    )
    match = re.search(r"HEIGHT=(\d+)", dom)
    if match is None:
        raise SystemExit(f"{report}: Chromium gave no height (is it a kt_lrsearch report?)")
    height = int(match.group(1))
    shot = out / "report.png"
    _chromium(
        binary,
        str(out / "profile"),
        f"--window-size={WIDTH},{height}",
        f"--screenshot={shot}",
        page.as_uri(),
    )
    return height, shot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=pathlib.Path)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    height, shot = measure(args.run_dir / "report.html", args.chromium)
    print(
        f"{args.run_dir / 'report.html'}: {height} px tall at {WIDTH} px wide, nothing "
        f"expanded ({'under' if height < 3000 else 'OVER'} 3000); screenshot {shot}"
    )


if __name__ == "__main__":
    main()
