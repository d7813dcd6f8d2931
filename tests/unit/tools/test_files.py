"""read_file / list_dir stay inside their root: no '..', no absolute paths, no symlink escapes."""

from __future__ import annotations

import os
import socket

import pytest

from corral.exceptions import ModelRetry, UsageError
from corral.tools import dispatch
from corral.tools.builtin import file_tools


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.md").write_text("# A\nalpha\n")
    (root / "big.txt").write_text("y" * 5000)
    (root / "blob.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    os.symlink(tmp_path, root / "up")
    os.symlink(root / "docs" / "a.md", root / "alias.md")  # inside the root: allowed
    return root


def read(tree, path, **kw):
    return file_tools(tree, **kw).get("read_file").func(path)


def test_reads_and_lists_inside_the_root(tree):
    assert read(tree, "docs/a.md") == "# A\nalpha\n"
    assert read(tree, "alias.md") == "# A\nalpha\n"
    listing = file_tools(tree).get("list_dir").func(".")
    assert listing.splitlines() == [
        "alias.md (symlink)",
        "big.txt (5000 bytes)",
        "blob.bin (3 bytes)",
        "docs/",
        "leak.txt (symlink)",
        "up (symlink)",
    ]


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../secret.txt", "'..'"),
        ("docs/../../secret.txt", "'..'"),
        ("/etc/passwd", "absolute"),
        ("leak.txt", "outside the root"),
        ("up/secret.txt", "outside the root"),
        ("up", "outside the root"),
        ("..\\secret.txt", "'..'"),
        ("C:\\Windows\\win.ini", "absolute"),
        ("nul\x00l", "plain string"),
        ("missing.txt", "does not exist"),
    ],
)
def test_escapes_are_refused(tree, path, why):
    with pytest.raises(ModelRetry, match=why):
        read(tree, path)
    with pytest.raises(ModelRetry, match=why):
        file_tools(tree).get("list_dir").func(path)


def test_size_cap_and_binary_files(tree):
    text = read(tree, "big.txt", max_bytes=100)
    assert text.startswith("y" * 100) and text.endswith("showing the first 100 of 5000 bytes]")
    with pytest.raises(ModelRetry, match="binary"):
        read(tree, "blob.bin")
    with pytest.raises(ModelRetry, match="directory"):
        read(tree, "docs")


def test_list_dir_caps_entries(tree):
    for i in range(5):
        (tree / "docs" / f"n{i}.txt").write_text("n")
    out = file_tools(tree, max_entries=3).get("list_dir").func("docs")
    assert out.splitlines()[-1] == "[... 3 more entries not shown]"


def test_refusals_go_back_to_the_model_through_dispatch(tree):
    (r,) = dispatch(file_tools(tree), [{"name": "read_file", "arguments": {"path": "../secret.txt"}}])
    assert r.error.kind == "retry" and "TOP SECRET" not in r.content


def test_root_must_exist(tmp_path):
    with pytest.raises(NotADirectoryError):
        file_tools(tmp_path / "nope")


def test_symlinks_inside_the_root_are_followed_by_the_walk(tree):
    os.symlink("docs", tree / "rel")  # relative, to a directory
    os.symlink("docs/../big.txt", tree / "dotted")  # '..' inside a link target, still inside
    os.symlink(tree / "docs", tree / "absdir")  # absolute, inside the root
    os.symlink("rel/a.md", tree / "chain")  # a link through a link
    assert read(tree, "rel/a.md") == read(tree, "absdir/a.md") == read(tree, "chain") == "# A\nalpha\n"
    assert read(tree, "dotted", max_bytes=3).startswith("yyy")
    assert file_tools(tree).get("list_dir").func("rel").splitlines() == ["a.md (10 bytes)"]


@pytest.mark.parametrize("target", ["../secret.txt", "docs/../../secret.txt", "/etc/passwd", "/"])
def test_link_targets_leaving_the_root_are_refused(tree, target):
    os.symlink(target, tree / "out")
    with pytest.raises(ModelRetry, match="outside the root"):
        read(tree, "out")


def test_fifos_sockets_and_devices_are_refused_without_blocking(tree):
    os.mkfifo(tree / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tree / "sock"))
    os.symlink("/dev/zero", tree / "zero")  # outside anyway; and a device
    try:
        for path, kind in [("pipe", "FIFO"), ("sock", "socket")]:
            with pytest.raises(ModelRetry, match=f"is a {kind}.*not a regular file"):
                read(tree, path)
            with pytest.raises(ModelRetry, match=f"is a {kind}"):
                file_tools(tree).get("list_dir").func(path)
    finally:
        sock.close()
    assert "pipe" in file_tools(tree).get("list_dir").func(".")


@pytest.mark.parametrize("links", [{"self": "self"}, {"a": "b", "b": "a"}, {"here": "."}])
def test_symlink_loops_are_refused(tree, links):
    for name, target in links.items():
        os.symlink(target, tree / name)
    deep = "/".join(["here"] * 45) + "/big.txt" if "here" in links else next(iter(links))
    for call in (read, lambda root, p: file_tools(root).get("list_dir").func(p)):
        with pytest.raises(ModelRetry, match="more than 40 symlinks"):
            call(tree, deep)


def test_a_file_used_as_a_directory_is_refused(tree):
    with pytest.raises(ModelRetry, match="goes through a file"):
        read(tree, "big.txt/x")


def test_messages_never_show_the_root(tree):
    os.symlink("loop", tree / "loop")
    os.mkfifo(tree / "pipe")
    tools = file_tools(tree)
    paths = ["../x", "/abs", "leak.txt", "up/secret.txt", "missing", "loop", "pipe", "big.txt/x", "docs"]
    for name in ("read_file", "list_dir"):
        for path in paths:
            (result,) = dispatch(tools, [{"name": name, "arguments": {"path": path}}])
            text = result.content
            assert str(tree) not in text and str(tree.parent) not in text, (name, path, text)


def test_a_platform_without_dir_fd_support_is_refused_not_raced(tree, monkeypatch):
    monkeypatch.setattr(os, "supports_dir_fd", set())
    with pytest.raises(UsageError, match="openat"):
        file_tools(tree)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors through /proc")
def test_no_descriptor_is_left_open(tree):
    os.symlink("loop", tree / "loop")
    tools = file_tools(tree)
    calls = [("read_file", p) for p in ["docs/a.md", "alias.md", "up/secret.txt", "loop", "docs", "big.txt/x"]]
    calls += [("list_dir", p) for p in [".", "docs", "up", "loop", "big.txt", "missing/x"]]
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        results = dispatch(tools, [{"name": n, "arguments": {"path": p}} for n, p in calls])
        assert [r.error is None for r in results] == [
            True,
            True,
            False,
            False,
            False,
            False,
            True,
            True,
            False,
            False,
            False,
            False,
        ]
    assert len(os.listdir("/proc/self/fd")) == before
