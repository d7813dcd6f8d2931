"""Integration fixtures for prompts: a Llama 3.1-named copy of the 3.0 vocab, and a tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

# The sdist's vocab is Llama 3.0's: ids 128008 / 128010 carry placeholder names there.
RENAMES = {128008: "<|eom_id|>", 128010: "<|python_tag|>"}


def _renamed_copy(src: Path, dst: Path) -> Path:
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(str(src))
    tokens = list(reader.fields["tokenizer.ggml.tokens"].contents())
    for index, new in RENAMES.items():
        assert tokens[index].startswith("<|reserved_special_token_"), (index, tokens[index])
        tokens[index] = new
    arch = reader.fields["general.architecture"].contents()
    tmp = dst.with_suffix(".part")
    writer = gguf.GGUFWriter(str(tmp), arch=arch)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        value = tokens if key == "tokenizer.ggml.tokens" else field.contents()
        sub = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, value, field.types[0], sub_type=sub)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(dst)
    return dst


@pytest.fixture(scope="session")
def llama31_vocab_path(llama3_vocab_path: Path) -> Path:
    """The Llama 3 tokenizer with <|eom_id|> and <|python_tag|> named as in Llama 3.1/3.2."""
    dst = llama3_vocab_path.with_name("ggml-vocab-llama31-renamed.gguf")
    return dst if dst.is_file() else _renamed_copy(llama3_vocab_path, dst)


@pytest.fixture(scope="session")
def llama3_tokenize(llama31_vocab_path: Path):
    """tokenize(text) -> token ids, with special tokens parsed and no BOS added."""
    llama_cpp = pytest.importorskip("llama_cpp")
    vocab = llama_cpp.Llama(model_path=str(llama31_vocab_path), vocab_only=True, verbose=False)
    return lambda text: vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True)
