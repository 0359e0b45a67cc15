"""Generate a deterministic git history for a textcrm corpus with `git fast-import`.

Usage::

    python bench/history_repo.py OUT [--opportunities 2000] [--commits 5000] [--seed 1]
                                     [--today 2026-11-28]

The first commit holds the corpus of bench/generate.py (opportunities, accounts, contacts,
catalog). Each later commit, one every ~1.7 hours of the year before --today, edits 1 to 3
opportunities the way a sales team does: advance a stage (or win or lose the deal), push a
close date out or pull it in, change the amount, log an activity; about 1 commit in 40 adds
a new opportunity, 1 in 150 deletes one and 1 in 150 renames one. Every choice comes from
`random.Random` seeded from --seed, and dates are fixed, so the same arguments give the same
commit ids. Authors rotate among the corpus's owners.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed-won", "closed-lost")
AUTHORS = ("alice", "bob", "carol", "dave", "erin", "frank")


def _blob(data: bytes) -> bytes:
    return b"data %d\n" % len(data) + data + b"\n"


def _edit(text: str, rng: random.Random, day: date) -> str:
    """One realistic edit of an opportunity's front matter."""
    what = rng.random()
    stage = re.search(r"^stage: (\S+)", text, re.M)
    current = stage.group(1) if stage else "prospecting"
    if what < 0.3 and current in STAGES[:4]:
        i = STAGES.index(current)
        nxt = STAGES[i + 1] if rng.random() < 0.85 else rng.choice(STAGES[4:])
        if nxt == "closed-lost" and "lost_reason:" not in text:
            text = text.replace(f"stage: {current}", "lost_reason: price\nstage: closed-lost", 1)
            return text
        return re.sub(r"^stage: \S+", f"stage: {nxt}", text, count=1, flags=re.M)
    if what < 0.55:

        def move(m: re.Match[str]) -> str:
            old = date.fromisoformat(m.group(1))
            return f"close_date: {old + timedelta(days=rng.choice((-7, 14, 21, 30, 45)))}"

        return re.sub(r"^close_date: (\d{4}-\d{2}-\d{2})", move, text, count=1, flags=re.M)
    if what < 0.75 and re.search(r"^amount: ", text, re.M):

        def scale(m: re.Match[str]) -> str:
            return f"amount: {int(float(m.group(1)) * rng.choice((0.8, 0.9, 1.1, 1.25)))}"

        return re.sub(r"^amount: ([\d.]+)", scale, text, count=1, flags=re.M)
    # Log an activity: a new line at the top of the activities list, or a follow_up.
    if "\nactivities:\n" in text:
        entry = f"  - {{date: {day}, type: call, summary: Checked in}}\n"
        return text.replace("\nactivities:\n", "\nactivities:\n" + entry, 1)
    return re.sub(
        r"^(stage: .*)$", rf"\1\nfollow_up: {day + timedelta(days=10)}", text, count=1, flags=re.M
    )


def build(out: Path, opportunities: int, commits: int, seed: int, today: date) -> None:
    """Write the corpus to OUT and import `commits` commits into a new repository there."""
    generate(out, opportunities, seed=seed, today=today, planted=False, force=True)
    (out / "planted.json").unlink(missing_ok=True)
    files = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    rng = random.Random(f"textcrm-history:{seed}")
    start = datetime(today.year, today.month, today.day, 9, tzinfo=UTC) - timedelta(days=365)
    step = timedelta(days=365) / commits
    opps = sorted(p for p in files if p.startswith("opportunities/"))
    stream: list[bytes] = []
    for n in range(commits):
        when = start + step * n
        stamp = f"{int(when.timestamp())} +0000"
        author = AUTHORS[n % len(AUTHORS)]
        ops: list[bytes] = []
        if n == 0:
            message = "Import the pipeline"
            for path, data in files.items():
                ops.append(b"M 100644 inline " + path.encode() + b"\n" + _blob(data))
        else:
            roll = rng.random()
            if roll < 1 / 40:
                src = rng.choice(opps)
                path = f"opportunities/new-deal-{n}.md"
                text = files[src].decode()
                text = re.sub(r"^stage: \S+", "stage: prospecting", text, count=1, flags=re.M)
                files[path] = text.encode()
                opps.append(path)
                ops.append(b"M 100644 inline " + path.encode() + b"\n" + _blob(files[path]))
                message = f"New opportunity {path}"
            elif roll < 1 / 40 + 1 / 150 and len(opps) > 10:
                path = opps.pop(rng.randrange(len(opps)))
                del files[path]
                ops.append(b"D " + path.encode() + b"\n")
                message = f"Drop {path}"
            elif roll < 1 / 40 + 2 / 150:
                i = rng.randrange(len(opps))
                old = opps[i]
                new = old[:-3] + f"-r{n}.md"
                files[new] = files.pop(old)
                opps[i] = new
                ops.append(b"D " + old.encode() + b"\n")
                ops.append(b"M 100644 inline " + new.encode() + b"\n" + _blob(files[new]))
                message = f"Rename {old}"
            else:
                touched = rng.sample(opps, rng.choice((1, 1, 1, 2, 3)))
                for path in touched:
                    files[path] = _edit(files[path].decode(), rng, when.date()).encode()
                    ops.append(b"M 100644 inline " + path.encode() + b"\n" + _blob(files[path]))
                message = "Update " + ", ".join(p.split("/")[1][:-3] for p in touched)
        msg = message.encode()
        stream.append(
            b"commit refs/heads/main\nmark :%d\n" % (n + 1)
            + f"author {author} <{author}@example.com> {stamp}\n".encode()
            + f"committer {author} <{author}@example.com> {stamp}\n".encode()
            + b"data %d\n" % len(msg)
            + msg
            + b"\n"
            + (b"from :%d\n" % n if n else b"")
            + b"".join(ops)
            + b"\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=out, input=b"".join(stream), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--opportunities", type=int, default=2000)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 28))
    args = parser.parse_args(argv)
    build(args.out, args.opportunities, args.commits, args.seed, args.today)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
