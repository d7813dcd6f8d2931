"""``Agent(decision=...)``: the auto decision's policy is the caller's to set."""

from __future__ import annotations

import pytest

from corral import Agent
from corral.exceptions import UsageError
from corral.prompts import DecisionPolicy
from corral.prompts.decide import DEFAULT_POLICY
from corral.testing import ScriptedBackend


def test_the_default_policy_grounds_optional_arguments_and_can_be_replaced_or_turned_off():
    assert Agent(ScriptedBackend([])).policy.decision is DEFAULT_POLICY and DEFAULT_POLICY.ground
    keep = DecisionPolicy(ground=False)
    assert Agent(ScriptedBackend([]), decision=keep).policy.decision is keep
    assert Agent(ScriptedBackend([]), decision=None).policy.decision is None
    with pytest.raises(UsageError, match="DecisionPolicy"):
        Agent(ScriptedBackend([]), decision="strict")
