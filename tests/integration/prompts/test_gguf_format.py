"""JinjaFormat.from_gguf on the real SmolLM2 file: our header reader agrees with the gguf package,
and the model's own template renders append-only prompts."""

from __future__ import annotations

import pytest

from corral.prompts import JinjaFormat, get_format
from corral.prompts.gguf_meta import read_chat_metadata


def test_metadata_matches_gguf_package(tiny_model_path):
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(str(tiny_model_path))
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    meta = read_chat_metadata(tiny_model_path)
    assert meta.chat_template == reader.fields["tokenizer.chat_template"].contents()
    assert meta.eos_token == tokens[reader.fields["tokenizer.ggml.eos_token_id"].contents()]
    assert meta.bos_token == tokens[reader.fields["tokenizer.ggml.bos_token_id"].contents()]


def test_smollm2_format(tiny_model_path):
    fmt = get_format("jinja", gguf=tiny_model_path)
    assert isinstance(fmt, JinjaFormat) and fmt.stop_tokens == ("<|im_end|>",)
    msgs = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "content": "sunny"},
    ]
    tools = [{"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    head = fmt.render(msgs[:1], tools)
    full = fmt.render(msgs, tools)
    assert head.startswith("<|im_start|>system\nYou can call the functions")
    assert full.startswith(head + '{"name": "get_weather", "parameters": {"city": "Paris"}}<|im_end|>')


def test_not_a_gguf_file(tmp_path):
    from corral.exceptions import ModelNotFoundError, UsageError

    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"nope")
    with pytest.raises(UsageError, match="not a GGUF"):
        read_chat_metadata(bad)
    with pytest.raises(ModelNotFoundError):
        read_chat_metadata(tmp_path / "missing.gguf")
