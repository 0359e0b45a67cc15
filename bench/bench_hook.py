"""Time the pre-commit hook on a generated repository of 10,000 opportunities.

Usage::

    python bench/bench_hook.py [--opportunities 10000] [--runs 7] [--work DIR]
                               [--compare SRC --compare-label NAME]
                               [--write docs/performance.md]

It generates the corpus (`bench/generate.py OUT --opportunities N --no-planted`), commits it
with `git commit --no-verify`, installs the hook with `textcrm hook install`, warms the parse
cache with one `textcrm check`, then measures side by side, round after round (so that a
busy machine slows every command alike):

- `python -c 'import yaml'` (the yardstick) and `python -c pass`;
- `python -c 'import ...'` of the modules the hook loads for a small commit (the import floor);
- the hook process as the installed script runs it (`python -m textcrm.hook`) with no CRM
  file staged (a commit of code), with 1 and with 100 opportunities staged: edited and staged
  without a check (the full hook parses them), and edited, checked with `textcrm check`, then
  staged (their blobs are in the verdict store: the fast route);
- `python -c 'import ...'` of the modules the fast route loads;
- `git commit` with the hook and `git commit --no-verify`, 1 opportunity staged (each commit
  is undone with `git reset --soft HEAD~1`, which keeps the index); the hook of that commit
  finds the blob the timed hook run just before recorded.

Python runs with its bytecode cache on, as an installed textcrm does (kept under the work
folder with PYTHONPYCACHEPREFIX, not in the checkout); every command runs once before the
timed rounds. Figures are medians of wall-clock time and of CPU time (user + system of the
child and of the git processes it waits for, from wait4: less sensitive to other load on the
machine). With --write, the `## hook` section of the given Markdown file is replaced (or added).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-28"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "TEXTCRM_TODAY": TODAY,
    "NO_COLOR": "1",
}


def sh(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child and its children, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # wait4 gives this child's own rusage (microseconds), where os.times() counts clock ticks.
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


# What the hook imports for a small commit (tests/test_hook_imports.py holds the list), and
# the part of it that is PyYAML and the standard library modules textcrm's code builds on.
HOOK_IMPORTS = (
    "import textcrm.hook.check, textcrm.hook.baseline, textcrm.loader, textcrm.checks, "
    "textcrm.console, textcrm.entry"
)
FLOOR_IMPORTS = "import yaml, dataclasses, decimal, subprocess, pathlib, hashlib, typing, datetime"
# What the fast route imports (tests/test_hook_imports.py FAST_ROUTE).
FAST_IMPORTS = (
    "import textcrm.hook.check, textcrm.hook.fast, textcrm.console, textcrm.entry, pickle, hmac"
)


def git_processes(py: str, repo: Path, env: dict[str, str]) -> list[str]:
    """The git commands one hook run starts (from GIT_TRACE)."""
    trace = repo.parent / "git-trace.txt"
    trace.unlink(missing_ok=True)
    sh([py, "-m", "textcrm.hook"], repo, {**env, "GIT_TRACE": str(trace)})
    lines = trace.read_text(encoding="utf-8", errors="replace").splitlines()
    trace.unlink(missing_ok=True)
    return [line.split("built-in: ", 1)[1] for line in lines if "built-in: git " in line]


def where_the_time_goes(med: dict[str, tuple[float, float]], ids: int, processes: int) -> str:
    """The reading of one run's medians (CPU, the steadier figure on a shared machine)."""

    def ms(name: str) -> float:
        return med[name][1] * 1000

    start, yaml = ms("python -c pass"), ms("python -c 'import yaml'")
    floor, imports = ms("imports: yaml and the stdlib modules used"), ms(IMPORTS_ROW)
    one, hundred = ms("hook, 1 opportunity staged"), ms("hook, 100 opportunities staged")
    fast_one, fast_hundred = ms(FAST_ONE), ms(FAST_HUNDRED)
    code = ms("hook, no CRM file staged")
    if imports > 2 * yaml:
        bound = (
            f"the 2x target ({2 * yaml:.0f} ms) is below the full hook's imports alone "
            f"({imports:.0f} ms), so no change in its own work can meet it."
        )
    else:
        bound = (
            f"the full hook's imports ({imports:.0f} ms) leave {2 * yaml - imports:.0f} ms of "
            f"the 2x target ({2 * yaml:.0f} ms) for the work, which takes {one - imports:.0f} ms."
        )
    return f"""\
Where the time goes (CPU medians of this run). Python starts in {start:.0f} ms and imports
PyYAML in {yaml - start:.0f} ms more; with the standard library modules textcrm's code is
built on (dataclasses, decimal, subprocess, pathlib, hashlib, typing, datetime) that floor is
already {floor / yaml:.1f}x `import yaml`. The full hook's import set is {imports / yaml:.1f}x:
the rest is textcrm's own modules, most of it the model (its 19 frozen dataclasses have their
methods generated and compiled at import) and then the parser, schema and checks. Its own work
on a 1-file commit ({processes} git processes, listing the {ids:,} ids that references may
point at, parsing the file and the contacts it names, the checks, recording the verdicts) is
the remaining {one - imports:.0f} ms. With 100 files, parsing the 100 deals and the contacts
they name adds {hundred - one:.0f} ms, about {(hundred - one) / 99:.1f} ms a file. A commit
that stages no CRM file costs {code:.0f} ms ({code / yaml:.1f}x): it is answered from `git diff
--cached` before the loader, the parser or PyYAML is imported.

The fast route (blobs checked before) imports no more than that commit of code does, plus the
verdict store's reader and pickle and hmac. It costs {fast_one:.0f} ms for 1 file
({fast_one / yaml:.1f}x), {fast_one - code:.0f} ms more than the commit of code: one `git
ls-tree HEAD` of the paths it needs (textcrm.yaml, products.yaml, the records the staged files
name: the index holds what HEAD holds for every path not staged, and git reads trees faster
than the whole index), the code fingerprint that names the store, and the signed parts of
the store its blobs fall in (read, verified, unpickled). With 100 files it costs
{fast_hundred:.0f} ms ({fast_hundred / yaml:.1f}x): nearly every part of the store is read.

What bounds it: for a blob not checked before, {bound} The fast route's floor is the commit
of code ({code / yaml:.1f}x here): Python's start, the hook's own modules (git, subprocess,
pathlib, dataclasses) and two git processes."""


def comparison(med: dict[str, tuple[float, float]], label: str) -> str:
    """Each hook row against the compared textcrm's, in CPU."""
    pairs = [
        f"{name.removeprefix('hook, ')} {med[f'{name} ({label})'][1] * 1000:.0f} -> "
        f"{cpu * 1000:.0f} ms"
        for name, (_wall, cpu) in med.items()
        if f"{name} ({label})" in med
    ]
    return (
        f"Against {label} (CPU, compared -> now): {'; '.join(pairs)}. Differences of under "
        "about 10% are within the noise of this shared machine."
    )


IMPORTS_ROW = "imports only (what the hook loads)"
FAST_IMPORTS_ROW = "imports only (what the fast route loads)"
COMMIT_ROW = "git commit, 1 staged (hook; the blob the hook row just recorded)"
FAST_ONE = "hook, 1 opportunity staged, checked before"
FAST_HUNDRED = "hook, 100 opportunities staged, checked before"
REFERENCED_FOLDERS = ("accounts", "contacts", "competitors")


def past_close_date(path: Path) -> None:
    """Move a deal's close date into the past: the hook refuses it (close-date-past)."""
    text = path.read_text("utf-8")
    path.write_text(
        re.sub(r"(?m)^close_date: .*$", "close_date: 2026-01-01", text, count=1), "utf-8"
    )


def stage(
    repo: Path, files: list[str], env: dict[str, str], tag: str, check: list[str] | None = None
) -> None:
    """Append a note to each file and stage it (the deals stay valid); with `check` (the
    command), run `textcrm check` between the edit and the staging."""
    for rel in files:
        with open(repo / rel, "a", encoding="utf-8") as f:
            f.write(f"\nBenchmark note {tag}.\n")
    if check is not None:
        sh(check, repo, env)
    sh(["git", "add", "--", *files], repo, env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--work", type=Path, help="folder for the corpus (default: a temp dir)")
    parser.add_argument(
        "--write",
        type=Path,
        help="Markdown file whose `## hook` section to replace, e.g. docs/performance.md",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="SRC",
        help="also time the hook of the textcrm whose package is in SRC (e.g. the `src` folder "
        "of a checkout of an earlier commit), in the same rounds",
    )
    parser.add_argument(
        "--compare-label", default="compared", help="how the rows of --compare are named"
    )
    opts = parser.parse_args()

    py = sys.executable
    work = opts.work or Path(tempfile.mkdtemp(prefix="textcrm-bench-hook-"))
    repo = work / "crm"
    env = {**os.environ, **GIT_ENV, "HOME": str(work), "PYTHONPYCACHEPREFIX": str(work / "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed textcrm has its bytecode cached
    if not (repo / ".git").is_dir():
        gen = sh(
            [
                py,
                str(HERE / "generate.py"),
                str(repo),
                "--opportunities",
                str(opts.opportunities),
                "--no-planted",
                "--force",
            ],
            HERE.parent,
            env,
        )
        if gen.returncode:
            sys.exit(f"generate.py failed: {gen.stderr.decode()}")
        sh(["git", "init", "-q"], repo, env)
        sh(["git", "add", "-A"], repo, env)
        sh(["git", "commit", "-q", "--no-verify", "-m", "corpus"], repo, env)
    sh(["git", "reset", "-q", "--hard"], repo, env)
    installed = sh([py, "-m", "textcrm", "hook", "install"], repo, env)
    if installed.returncode:
        sys.exit(installed.stdout.decode() + installed.stderr.decode())
    check = [py, "-m", "textcrm", "check"]
    warm = sh(check, repo, env)
    if warm.returncode:
        sys.exit("the corpus does not pass check:\n" + warm.stdout.decode()[-2000:])

    opportunities = sorted(
        f"opportunities/{p.name}" for p in (repo / "opportunities").iterdir() if p.suffix == ".md"
    )
    one, hundred = opportunities[:1], opportunities[1000:1100]
    # An open deal, to stage with a close date in the past: a refused commit, judged against HEAD.
    refused = next(
        rel for rel in opportunities if "\nstage: prospecting\n" in (repo / rel).read_text("utf-8")
    )
    samples: dict[str, list[tuple[float, float]]] = {}

    def record(name: str, sample: tuple[float, float, int], want: int = 0) -> None:
        if sample[2] != want:
            sys.exit(f"{name}: exit status {sample[2]}, expected {want}")
        samples.setdefault(name, []).append(sample[:2])

    code = repo / "bench-code.txt"  # a file outside the CRM folders: a commit of code

    def hook() -> list[str]:
        return [py, "-m", "textcrm.hook"]

    other = {**env, "PYTHONPATH": str(opts.compare.resolve())} if opts.compare else None

    def hooks(name: str, round_number: int, want: int = 0) -> None:
        """Time our hook and the compared one on the same index, first one then the other
        in alternate rounds (the first of two runs finds colder caches)."""
        runs = [(name, env)]
        if other is not None:
            runs.append((f"{name} ({opts.compare_label})", other))
        for label, environment in runs if round_number % 2 == 0 else runs[::-1]:
            record(label, timed(hook(), repo, environment), want)

    # Once untimed: compiles the bytecode cache and reads git's and Python's files into memory.
    for script in ("pass", "import yaml", FLOOR_IMPORTS, HOOK_IMPORTS, FAST_IMPORTS):
        sh([py, "-c", script], repo, env)
    sh(hook(), repo, env)
    if other is not None:
        sh(hook(), repo, other)
    stage(repo, one, env, "warm")
    processes = git_processes(py, repo, env)
    sh(["git", "reset", "-q", "--hard"], repo, env)
    past_close_date(repo / refused)
    sh(["git", "add", "--", refused], repo, env)
    refusing = git_processes(py, repo, env)
    sh(["git", "reset", "-q", "--hard"], repo, env)
    stage(repo, one, env, "warm-checked", check)
    fast = git_processes(py, repo, env)
    sh(["git", "reset", "-q", "--hard"], repo, env)

    for n in range(opts.runs):
        record("python -c pass", timed([py, "-c", "pass"], repo, env))
        record("python -c 'import yaml'", timed([py, "-c", "import yaml"], repo, env))
        record(
            "imports: yaml and the stdlib modules used", timed([py, "-c", FLOOR_IMPORTS], repo, env)
        )
        record(IMPORTS_ROW, timed([py, "-c", HOOK_IMPORTS], repo, env))
        record(FAST_IMPORTS_ROW, timed([py, "-c", FAST_IMPORTS], repo, env))
        code.write_text(f"round {n}\n", encoding="utf-8")
        sh(["git", "add", "--", code.name], repo, env)
        hooks("hook, no CRM file staged", n)
        sh(["git", "rm", "-q", "--cached", "--", code.name], repo, env)
        code.unlink()
        stage(repo, one, env, f"a{n}")
        hooks("hook, 1 opportunity staged", n)
        record(COMMIT_ROW, timed(["git", "commit", "-q", "-m", "x"], repo, env))
        sh(["git", "reset", "-q", "--soft", "HEAD~1"], repo, env)
        record(
            "git commit --no-verify, 1 staged",
            timed(["git", "commit", "-q", "--no-verify", "-m", "x"], repo, env),
        )
        sh(["git", "reset", "-q", "--soft", "HEAD~1"], repo, env)
        sh(["git", "reset", "-q", "--hard"], repo, env)
        stage(repo, one, env, f"c{n}", check)
        hooks(FAST_ONE, n)
        sh(["git", "reset", "-q", "--hard"], repo, env)
        stage(repo, hundred, env, f"b{n}")
        hooks("hook, 100 opportunities staged", n)
        sh(["git", "reset", "-q", "--hard"], repo, env)
        stage(repo, hundred, env, f"d{n}", check)
        hooks(FAST_HUNDRED, n)
        sh(["git", "reset", "-q", "--hard"], repo, env)
        past_close_date(repo / refused)
        sh(["git", "add", "--", refused], repo, env)
        hooks("hook, 1 staged with an error (refused)", n, want=1)
        sh(["git", "reset", "-q", "--hard"], repo, env)

    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in samples.items()
    }
    yard_wall, yard_cpu = med["python -c 'import yaml'"]
    command = f"python bench/bench_hook.py --opportunities {opts.opportunities} --runs {opts.runs}"
    if opts.compare:
        command += f" --compare {opts.compare} --compare-label {shlex.quote(opts.compare_label)}"
    rows = []
    for name, (wall, cpu) in med.items():
        rows.append(
            f"| {name} | {wall * 1000:.0f} ms | {wall / yard_wall:.1f}x | "
            f"{cpu * 1000:.0f} ms | {cpu / yard_cpu:.1f}x |"
        )
    h1, h100 = med["hook, 1 opportunity staged"], med["hook, 100 opportunities staged"]
    f1, f100 = med[FAST_ONE], med[FAST_HUNDRED]
    floor = med[IMPORTS_ROW]
    load = os.getloadavg()[0]
    ids = sum(len(list((repo / folder).iterdir())) for folder in REFERENCED_FOLDERS)
    text = "\n".join(
        [
            "## hook",
            "",
            f"`{command}` on a generated repository of {opts.opportunities:,} opportunities "
            f"({len(list((repo / 'contacts').iterdir())):,} contacts), git "
            f"{sh(['git', '--version'], repo, env).stdout.decode().split()[-1]}, "
            f"Python {platform.python_version()} with its bytecode cache, {os.cpu_count()} cores, "
            f"load average {load:.1f} at the end of the run. Medians of {opts.runs} interleaved "
            "rounds; CPU = user + system time of the process and of the git processes it runs."
            + (
                f" Rows marked ({opts.compare_label}) run the hook of the textcrm package in "
                f"`{opts.compare}` on the same index, before or after ours in alternate rounds."
                if opts.compare
                else ""
            ),
            "",
            "| command | wall | vs `import yaml` | CPU | vs `import yaml` |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Targets: 1 staged file within 2x `python -c 'import yaml'`: measured "
            f"{f1[0] / yard_wall:.1f}x wall, {f1[1] / yard_cpu:.1f}x CPU when it was checked "
            f"before (the fast route), {h1[0] / yard_wall:.1f}x wall, {h1[1] / yard_cpu:.1f}x "
            f"CPU when not (the full hook). 100 staged files within 4x: "
            f"{f100[0] / yard_wall:.1f}x wall, {f100[1] / yard_cpu:.1f}x CPU checked before, "
            f"{h100[0] / yard_wall:.1f}x wall, {h100[1] / yard_cpu:.1f}x CPU not. The full "
            f"hook's imports alone are {floor[1] / yard_cpu:.1f}x (CPU), "
            f"{floor[1] / h1[1]:.0%} of its 1-file CPU time.",
            "",
            f"Git processes of one hook run ({len(processes)}, whatever the number of staged "
            "files): "
            + "; ".join(f"`{p[:90]}{'...' if len(p) > 90 else ''}`" for p in processes)
            + f". A refused commit runs {len(refusing)}: "
            + "; ".join(
                f"`{p[:60]}{'...' if len(p) > 60 else ''}`" for p in refusing[len(processes) :]
            )
            + " more, to judge its problems against HEAD (listed as narrowly as the index, its "
            "blobs read through the same `cat-file`). The fast route runs "
            + f"{len(fast)}: "
            + "; ".join(f"`{p[:90]}{'...' if len(p) > 90 else ''}`" for p in fast)
            + ".",
            "",
            *(
                textwrap.fill(" ".join(paragraph.split()), 95) + "\n"
                for paragraph in where_the_time_goes(med, ids, len(processes)).split("\n\n")
            ),
            *(
                [textwrap.fill(comparison(med, opts.compare_label), 95) + "\n"]
                if opts.compare
                else []
            ),
        ]
    )
    print(text)
    if opts.write:
        write_section(opts.write, text)
    return 0


def write_section(path: Path, section: str) -> None:
    """Replace the `## hook` section of `path` (or append it; create the file if needed)."""
    if path.exists():
        doc = path.read_text(encoding="utf-8")
    else:
        cpu = (
            subprocess.run(
                ["sh", "-c", "lscpu | grep 'Model name'"],
                capture_output=True,
                text=True,
                check=False,
            )
            .stdout.split(":", 1)[-1]
            .strip()
        )
        doc = (
            f"# Performance\n\nMachine: {os.cpu_count()} cores (`nproc`), {cpu or 'unknown'}"
            f", Python {platform.python_version()}.\n\n"
        )
    pattern = re.compile(r"^## hook\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(doc):
        doc = pattern.sub(lambda _: section + "\n", doc)
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    path.write_text(doc.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
