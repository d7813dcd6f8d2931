"""Integration tier: real tiny model, real local server. Every test below this folder is marked.

Before any of them runs, the engine is probed the way ``corral doctor`` does it: a tiny generation in
a child process. A broken llama.cpp build (e.g. a native build on a VM that advertises AMX) then fails
these tests with the explanation and the reinstall command, instead of a segfault that kills pytest.
"""

import pytest

_PROBLEM_KEY = pytest.StashKey[str]()


def _engine_problem() -> str:
    from corral.backends import engine
    from corral.backends.model_files import find_tiny_model

    model = find_tiny_model()
    if model is None:
        return ""  # the tiny_model_path fixture reports it (a failure in CI, a skip elsewhere)
    result = engine.probe_engine(model)
    if result.ok:
        return ""
    try:
        info = engine.engine_info()
    except Exception:
        info = None
    return "the llama.cpp engine is broken on this machine: " + engine.explain(result, info, engine.cpu_flags())


def pytest_collection_modifyitems(config, items):
    integration = [item for item in items if "/integration/" in str(item.fspath).replace("\\", "/")]
    for item in integration:
        item.add_marker(pytest.mark.integration)
    if integration:
        config.stash[_PROBLEM_KEY] = _engine_problem()


@pytest.fixture(autouse=True)
def _engine_works(request):
    problem = request.config.stash.get(_PROBLEM_KEY, "")
    if problem:
        pytest.fail(problem, pytrace=False)


def pytest_terminal_summary(terminalreporter, config):
    problem = config.stash.get(_PROBLEM_KEY, "")
    if problem:
        terminalreporter.write_line(f"corral: {problem}", red=True, bold=True)
