"""The package's promises: one collision-free namespace, a wheel that imports, shipped data, attribution."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("agent", "tools", "prompts", "guards")
CODE_DIRS = FOLDERS + ("examples",)
FOLDER_IMPORT = re.compile(r"^\s*(?:from|import)\s+(agent|tools|prompts|guards)(?:\.|\s|$)", re.M)


def test_no_code_imports_a_folder_by_its_name():
    offenders = []
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            for match in FOLDER_IMPORT.finditer(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert not offenders, "import through the corral namespace instead:\n" + "\n".join(offenders)


def test_notice_carries_the_llama_attribution_and_no_weights_statement():
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    assert (
        "Llama 3.2 is licensed under the Llama 3.2 Community License, "
        "Copyright © Meta Platforms, Inc. All Rights Reserved." in notice
    )
    assert "ships no model weights" in notice
    assert "Built with Llama" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_source_package_is_listed_in_pyproject():
    """A folder of modules missing from [tool.setuptools] packages would be left out of the wheel."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    found = set()
    for prefix, folder in setuptools["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "__pycache__" not in parts and not (
                folder == "agent" and parts[:1] in {("tools",), ("prompts",), ("guards",)}
            ):
                found.add(".".join((prefix, *parts)))
    assert found == listed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("corral-*.whl"))


def test_wheel_holds_only_the_corral_namespace_and_its_data(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"corral"}
    assert any(n.startswith("corral/prompts/templates/") and n.endswith(".jinja") for n in names)
    assert any(n.startswith("corral/guards/data/") for n in names)
    assert "corral/guards/templates/llama_guard_3.jinja" in names
    assert "corral/py.typed" in names
    assert not any(n.startswith(("tests/", "examples/")) for n in names)


def test_wheel_installs_and_imports_in_a_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # llama-cpp-python is left out on purpose: `import corral` must not need it (it loads lazily),
    # and installing it in a fresh venv would recompile it.
    deps = ["pydantic>=2.6", "jsonschema>=4.18", "httpx>=0.27", "jinja2>=3.1"]
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *deps], check=True)
    probe = textwrap.dedent(
        """
        import importlib.util, sys
        import corral, corral.tools, corral.prompts, corral.guards
        assert "site-packages" in corral.__file__, corral.__file__
        for name in ("agent", "tools", "prompts", "guards"):
            assert importlib.util.find_spec(name) is None, f"top-level {name} must not be installed"
        from importlib.resources import files
        assert any(p.name.endswith(".jinja") for p in files("corral.prompts.templates").iterdir())
        assert corral.__version__ == "0.1.0", corral.__version__
        import corral.cli, corral.batch, corral.spec, corral._loop.loop
        from corral.guards.llama_guard import _template
        assert "unsafe" in _template().render(role="User", categories=[("S1", "x")], turns=[])
        print(corral.prompts.render([{"role": "user", "content": "hi"}], format="llama3.2-json"))
        """
    )
    done = subprocess.run([str(py), "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "<|start_header_id|>user<|end_header_id|>" in done.stdout
