"""read_file / list_dir stay inside their root: no '..', no absolute paths, no symlink escapes."""

from __future__ import annotations

import os

import pytest

from corral.exceptions import ModelRetry
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
    assert listing.splitlines() == ["alias.md (symlink)", "big.txt (5000 bytes)", "blob.bin (3 bytes)",
                                    "docs/", "leak.txt (symlink)", "up (symlink)"]


@pytest.mark.parametrize(
    ("path", "why"),
    [("../secret.txt", "'..'"), ("docs/../../secret.txt", "'..'"), ("/etc/passwd", "absolute"),
     ("leak.txt", "outside the root"), ("up/secret.txt", "outside the root"), ("up", "outside the root"),
     ("..\\secret.txt", "'..'"), ("C:\\Windows\\win.ini", "absolute"), ("nul\x00l", "plain string"),
     ("missing.txt", "does not exist")],
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
