"""ToolPolicy: allow/deny, per-run budgets, argument constraints, approvals."""

from __future__ import annotations

import pytest

from corral.guards import ToolCallPayload, ToolPolicy, allowed_domains


def call(name, calls_so_far=None, **arguments):
    return ToolCallPayload(name=name, arguments=arguments, calls_so_far=calls_so_far or {})


def test_allow_and_deny_lists():
    policy = ToolPolicy(allow={"search", "fetch"}, deny={"fetch"})
    assert policy.check("tool_call", call("search")).action == "allow"
    denied = policy.check("tool_call", call("fetch"))
    assert denied.action == "block" and denied.categories == ("denied_tool",) and "deny list" in denied.reason
    assert "not on the allow list" in policy.check("tool_call", call("delete")).reason


def test_budgets_come_from_calls_so_far():
    policy = ToolPolicy(budgets={"search": 2, "*": 5})
    assert policy.check("tool_call", call("search", {"search": 1})).action == "allow"
    over = policy.check("tool_call", call("search", {"search": 2}))
    assert over.action == "block" and over.categories == ("budget_exceeded",)
    total = policy.check("tool_call", call("fetch", {"search": 2, "fetch": 3}))
    assert "5 tool calls" in total.reason


def test_json_schema_constraints():
    policy = ToolPolicy(
        constraints={
            "transfer": {
                "type": "object",
                "properties": {"amount": {"type": "number", "maximum": 100}},
                "required": ["amount"],
            }
        }
    )
    assert policy.check("tool_call", call("transfer", amount=50)).action == "allow"
    refused = policy.check("tool_call", call("transfer", amount=500))
    assert refused.action == "block" and "amount" in refused.reason and "100" in refused.reason


def test_bad_schema_is_rejected_eagerly():
    with pytest.raises(Exception, match="not valid under any"):
        ToolPolicy(constraints={"x": {"type": "objekt"}})


def test_allowed_domains_predicate():
    policy = ToolPolicy(constraints={"http_get": allowed_domains("example.com", "python.org")})
    assert policy.check("tool_call", call("http_get", url="https://docs.python.org/3/")).action == "allow"
    for url in ("https://evil.test/", "https://example.com.evil.test/", "file:///etc/passwd", "ftp://example.com/x"):
        assert policy.check("tool_call", call("http_get", url=url)).action == "block", url


def test_predicates_may_return_a_reason():
    policy = ToolPolicy(
        constraints={"rm": [lambda a: True, lambda a: "only /tmp" if not a["path"].startswith("/tmp") else True]}
    )
    assert policy.check("tool_call", call("rm", path="/tmp/x")).action == "allow"
    assert "only /tmp" in policy.check("tool_call", call("rm", path="/etc")).reason


def test_approval_required_is_a_block_marked_for_approval():
    policy = ToolPolicy(requires_approval={"pay"})
    verdict = policy.check("tool_call", call("pay", amount=3))
    assert verdict.action == "block" and verdict.approval_required
    assert verdict.details["approval_required"] is True and verdict.categories == ("approval_required",)
    approved = policy.approved(call("pay", amount=3))
    assert approved.check("tool_call", call("pay", amount=3)).action == "allow"
    assert approved.check("tool_call", call("pay", amount=4)).approval_required
    yes = ToolPolicy(requires_approval={"pay"}, approver=lambda c: c.arguments.get("amount", 0) < 10)
    assert yes.check("tool_call", call("pay", amount=3)).action == "allow"


def test_other_stages_are_not_its_business():
    assert ToolPolicy(deny={"x"}).check("output", "x").action == "allow"
