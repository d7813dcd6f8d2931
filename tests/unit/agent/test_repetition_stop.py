"""A prose answer stopped as a loop says so: stop_reason "repetition", not "max_tokens".

Before, the embedded backend reported a loop it had stopped as ``finish_reason="length"``, and
the run ended with "cut off at max_tokens=256 ... Raise max_tokens" after 79 tokens: untrue, and
no larger budget would have helped.
"""

from __future__ import annotations

import pytest

from corral import Agent
from corral.backends import Completion
from corral.testing import FunctionBackend


class FinishingBackend(FunctionBackend):
    """Replies with a fixed text and a chosen finish reason (a backend's own loop check, or max_tokens)."""

    def __init__(self, text: str, finish: str) -> None:
        super().__init__(lambda prompt: text)
        self.finish = finish

    def complete(self, prompt, **kw):
        done = super().complete(prompt, **kw)
        return Completion(text=done.text, finish_reason=self.finish, completion_tokens=done.completion_tokens)


LOOP = "- 1 lb chicken breasts\n- 1 lb chicken breasts\n- 1 lb chicken breasts\n- 1 lb"


def test_a_loop_the_backend_stopped_is_a_repetition():
    result = Agent(FinishingBackend(LOOP, "repetition"), guards=None, max_tokens=256).run("A recipe, please.")
    assert result.stop_reason == "repetition"
    assert not result.ok and not result.truncated
    assert result.output == LOOP  # the text so far, nothing dropped
    assert "max_tokens would not help" in result.stop_message


@pytest.mark.parametrize("finish, reason", [("length", "max_tokens"), ("stop", "final")])
def test_other_endings_keep_their_reasons(finish, reason):
    result = Agent(FinishingBackend("Some text.", finish), guards=None).run("Hi.")
    assert result.stop_reason == reason
    assert result.truncated == (reason == "max_tokens")
