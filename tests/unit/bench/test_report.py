import json
import math

import pytest

from corral.bench.config import find_data_dir
from corral.bench.report import Row, SectionResult, format_value, markdown_table, to_json, write_json
from corral.bench.runner import SECTIONS, main, run_sections
from corral.bench.spy import SpyBackend
from corral.testing import FunctionBackend


def test_table_has_one_line_per_row_and_explains_skips():
    ok = SectionResult(name="decode", rows=[Row(metric="a / b", value=0.981, unit="x", target=">= 0.97")])
    skipped = SectionResult(name="quality", status="skipped", reason="no BFCL data")
    table = markdown_table([ok, skipped]).splitlines()
    assert table[0].startswith("| section |") and len(table) == 4
    assert "| decode | a / b | 0.981x | >= 0.97 |" in table[2]
    assert "| quality | skipped | n/a |  | no BFCL data |" == table[3]


def test_values_are_formatted_for_humans():
    assert format_value(0.5, "x") == "0.500x"
    assert format_value(12.34, "us") == "12.3 us"
    assert format_value(1234.4, "/s") == "1,234 /s"
    assert format_value(3.0, "runs") == "3 runs"
    assert format_value(float("nan"), "x") == "n/a"
    assert format_value(None, "%") == "n/a"
    assert format_value(97.5, "%") == "97.5 %"


def test_json_is_strict_even_with_nan_and_tuples(tmp_path):
    section = SectionResult(name="x", rows=[Row(metric="m", value=math.nan)], data={"t": (1.0, math.inf), 3: "k"})
    path = write_json(tmp_path / "sub" / "out.json", to_json({"n_threads": 2}, [section]))
    document = json.loads(path.read_text())
    assert document["sections"]["x"]["rows"][0]["value"] is None
    assert document["sections"]["x"]["data"] == {"t": [1.0, None], "3": "k"}
    assert document["config"] == {"n_threads": 2}


def test_a_failing_section_is_recorded_and_the_rest_still_run(monkeypatch):
    def boom(config):
        raise RuntimeError("kaput")

    def fine(config):
        return SectionResult(name="fine", rows=[Row(metric="m", value=1.0)])

    monkeypatch.setitem(SECTIONS, "boom", boom)
    monkeypatch.setitem(SECTIONS, "fine", fine)
    results = run_sections(None, ["boom", "fine"], lambda line: None)
    assert [r.status for r in results] == ["error", "ok"]
    assert "RuntimeError: kaput" in results[0].reason
    assert results[1].seconds >= 0


def test_unknown_section_name_is_a_usage_error(capsys):
    assert main(["--only", "nope"]) == 2
    assert "Unknown section(s): nope" in capsys.readouterr().err


def test_spy_records_requests_and_forwards_attributes():
    inner = FunctionBackend(lambda prompt: prompt.upper())
    inner.wants_grammar = False
    spy = SpyBackend(inner)
    done = spy.complete("hi", stop=["x"], max_tokens=3, grammar='root ::= "a"')
    assert done.text == "HI"
    assert spy.calls[0].stop == ("x",) and spy.calls[0].grammar == 'root ::= "a"'
    assert spy.wants_grammar is False and spy.prompts == ["hi"]


@pytest.mark.asyncio
async def test_spy_records_async_requests():
    spy = SpyBackend(FunctionBackend(lambda prompt: "ok"))
    done = await spy.acomplete("p", stop=[], max_tokens=1)
    assert done.text == "ok" and len(spy.calls) == 1


def test_data_dir_resolution(tmp_path, monkeypatch):
    (tmp_path / "shared" / "data" / "bfcl").mkdir(parents=True)
    monkeypatch.delenv("CORRAL_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert find_data_dir() == tmp_path / "shared" / "data"
    assert find_data_dir(str(tmp_path / "nowhere")) is None
    monkeypatch.setenv("CORRAL_DATA_DIR", str(tmp_path / "shared" / "data"))
    assert find_data_dir() == tmp_path / "shared" / "data"
