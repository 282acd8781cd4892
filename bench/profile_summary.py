"""Summarise a py-spy raw profile (collapsed stacks, `-f raw`) into the hot spots: inclusive and self share per
function, with the line inside it where the time goes.

    python -m bench.profile_summary PROFILE.txt --root handle_request --top 25     # web: time inside requests
    python -m bench.profile_summary PROFILE.txt --root perform_job                  # RQ: time inside jobs
    python -m bench.profile_summary PROFILE.txt --root perform_job --product         # only gateway/bots/flows/workers

`--root` keeps the stacks that contain a frame whose function is that name and makes shares relative to them (so
with `py-spy --idle`, the share is of wall time inside requests or jobs, waits on the database and Redis included).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<path>.+?):(?P<line>\d+)\)$")
PRODUCT = ("gateway/", "bots/", "flows/", "workers/")


def short(path: str) -> str:
    """A path relative to the repository or to site-packages."""
    for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def parse(path: Path, root: str | None) -> tuple[list[tuple[list[tuple[str, str, int]], int]], int]:
    """The stacks (frames as (func, file, line), outermost first) with their sample counts, and the total."""
    stacks, total = [], 0
    for raw in path.read_text().splitlines():
        body, _, count = raw.rpartition(" ")
        if not count.isdigit():
            continue
        frames = []
        for item in body.split(";"):
            match = FRAME.match(item.strip())
            if match:
                frames.append((match["func"], short(match["path"]), int(match["line"])))
        if root:
            cut = next((i for i, f in enumerate(frames) if f[0] == root or f[0].endswith("." + root)), None)
            if cut is None:
                continue
            frames = frames[cut:]
        stacks.append((frames, int(count)))
        total += int(count)
    return stacks, total


def summarise(stacks, total: int, top: int, product: bool) -> list[tuple[float, float, str, str]]:
    """Rows (inclusive %, self %, function, file:hottest line) sorted by inclusive share."""
    inclusive, selfs, lines = Counter(), Counter(), {}
    for frames, count in stacks:
        for func, file, line in {(f, p, ln) for f, p, ln in frames}:
            lines.setdefault((func, file), Counter())[line] += count
        for key in {(f, p) for f, p, _ in frames}:
            inclusive[key] += count
        if frames:
            selfs[frames[-1][:2]] += count
    rows = []
    for (func, file), count in inclusive.most_common():
        if product and not file.startswith(PRODUCT):
            continue
        line = lines[(func, file)].most_common(1)[0][0]
        rows.append((100 * count / total, 100 * selfs[(func, file)] / total, func, f"{file}:{line}"))
        if len(rows) >= top:
            break
    return rows


def table(rows) -> str:
    """Markdown table of the rows."""
    out = ["| incl. % | self % | function | file:line (hottest) |", "|---:|---:|---|---|"]
    out += [f"| {inc:.1f} | {own:.1f} | `{func}` | `{where}` |" for inc, own, func, where in rows]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--root", help="only stacks through this function (e.g. handle_request, perform_job)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--product", action="store_true", help="only frames of gateway/, bots/, flows/, workers/")
    args = parser.parse_args()
    stacks, total = parse(args.profile, args.root)
    print(f"{total} samples{' through ' + args.root if args.root else ''}\n")
    print(table(summarise(stacks, total, args.top, args.product)))


if __name__ == "__main__":
    main()
