"""Read a GGUF file's chat template and special tokens, without loading the model.

Only the key/value header is read (GGUF v2/v3, little-endian); tensors are never touched.

Example::

    >>> meta = read_chat_metadata("SmolLM2-135M-Instruct.Q4_1.gguf")   # doctest: +SKIP
    >>> meta.eos_token                                                # doctest: +SKIP
    '<|im_end|>'
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from corral.exceptions import ModelNotFoundError, UsageError

__all__ = ["ChatMetadata", "read_chat_metadata"]

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_ID_KEYS = ("bos", "eos", "eot")
_SPECIAL_KINDS = (3, 4)  # llama.cpp's token types CONTROL and USER_DEFINED: matched as specials in text


@dataclass(frozen=True, kw_only=True)
class ChatMetadata:
    """What a chat format needs from a GGUF file."""

    chat_template: str | None
    bos_token: str = ""
    eos_token: str = ""
    eot_token: str = ""
    # Every control / user-defined token's text: what a tokenizer parses as special in a prompt.
    special_tokens: tuple[str, ...] = ()


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise UsageError("GGUF file ends inside its metadata header: the file is truncated")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO) -> str:
    return f.read(_read(f, "<Q")).decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int, keep: bool) -> Any:
    if kind == _STRING:
        return _string(f)
    if kind == _ARRAY:
        inner, count = _read(f, "<I"), _read(f, "<Q")
        if inner in _SCALARS:
            size = struct.calcsize(_SCALARS[inner])
            if not keep:
                f.seek(size * count, 1)
                return None
            data = f.read(size * count)
            if len(data) != size * count:
                raise UsageError("GGUF file ends inside its metadata header: the file is truncated")
            return list(struct.unpack(f"<{count}{_SCALARS[inner][1]}", data))
        items = [_value(f, inner, keep) for _ in range(count)]
        return items if keep else None
    if kind not in _SCALARS:
        raise UsageError(f"GGUF metadata has an unknown value type {kind}")
    return _read(f, _SCALARS[kind])


def _header(path: Path) -> dict[str, Any]:
    wanted = {"tokenizer.chat_template", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type"}
    wanted |= {f"tokenizer.ggml.{k}_token_id" for k in _ID_KEYS}
    out: dict[str, Any] = {}
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise UsageError(f"{path} is not a GGUF file (bad magic)")
        version = _read(f, "<I")
        if version < 2:
            raise UsageError(f"{path} is GGUF v{version}; only v2 and later are supported")
        _read(f, "<Q")
        for _ in range(_read(f, "<Q")):
            key = _string(f)
            value = _value(f, _read(f, "<I"), key in wanted)
            if key in wanted:
                out[key] = value
    return out


def read_chat_metadata(path: str | Path) -> ChatMetadata:
    """Chat template and BOS/EOS/EOT token texts from a GGUF file's metadata."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"no GGUF file at {path}")
    head = _header(path)
    tokens = head.get("tokenizer.ggml.tokens") or []

    def token(kind: str) -> str:
        index = head.get(f"tokenizer.ggml.{kind}_token_id")
        return tokens[index] if isinstance(index, int) and 0 <= index < len(tokens) else ""

    kinds = head.get("tokenizer.ggml.token_type") or []
    special = tuple(t for t, kind in zip(tokens, kinds) if kind in _SPECIAL_KINDS)
    return ChatMetadata(
        chat_template=head.get("tokenizer.chat_template"),
        bos_token=token("bos"),
        eos_token=token("eos"),
        eot_token=token("eot"),
        special_tokens=special,
    )
