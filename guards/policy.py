"""Tool policy: which tools may run, how often per run, with which arguments, and with whose approval.

Approval: a call to a tool in ``requires_approval`` is blocked with
``details["approval_required"] = True`` (also ``Verdict.approval_required``) and category
``approval_required``, unless an ``approver`` callable was given and returns True for that call.
An agent that can ask a human shows the verdict's reason, and on a yes re-checks the call with a
policy built through ``policy.approved(call)`` or calls the tool itself.

Example::

    >>> from corral.guards import ToolPolicy, ToolCallPayload, allowed_domains
    >>> policy = ToolPolicy(deny={"delete_file"}, budgets={"search": 2},
    ...                     constraints={"http_get": allowed_domains("example.com")})
    >>> policy.check("tool_call", ToolCallPayload(name="http_get", arguments={"url": "https://evil.test/"})).action
    'block'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Union
from urllib.parse import urlsplit

import jsonschema

from .base import Stage, ToolCallPayload, Verdict, check_stage
from .intent import IntentRule
from .provenance import ProvenanceRule

__all__ = ["ToolPolicy", "allowed_domains", "Constraint"]

# A predicate returns True (fine), False (refused) or a string saying what is wrong.
Predicate = Callable[[dict[str, Any]], Union[bool, str]]
Constraint = Union[Mapping[str, Any], Predicate]


def allowed_domains(*domains: str, arg: str = "url") -> Predicate:
    """A constraint: argument ``arg`` must be an http(s) URL on one of ``domains`` or a subdomain.

    Example::

        >>> allowed_domains("example.com")({"url": "https://docs.example.com/a"})
        True
    """
    wanted = tuple(d.lower().lstrip(".") for d in domains)

    def check(arguments: dict[str, Any]) -> bool | str:
        url = str(arguments.get(arg, ""))
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return f"{arg}={url!r} is not an http(s) URL"
        if any(host == d or host.endswith("." + d) for d in wanted):
            return True
        return f"domain {host!r} is not allowed; allowed: {', '.join(wanted)}"

    return check


class ToolPolicy:
    """Allow/deny lists, per-run call budgets, argument constraints and approvals for tool calls.

    - ``allow``: if given, only these tools may run; ``deny``: these never run.
    - ``budgets``: max calls per tool per run (``"*"`` caps the total); counts come from
      ``ToolCallPayload.calls_so_far`` so one policy serves concurrent runs.
    - ``constraints``: per tool, a JSON Schema the arguments must satisfy or a predicate.
    - ``requires_approval`` / ``approver``: see the module docs.
    - ``provenance``: True, a ``ProvenanceRule`` or its keyword arguments as a dict
      (``{"sensitive": {...}, "allow_values": [...]}``): sensitive arguments (recipients, IBANs,
      amounts, URLs, paths, commands, passwords) must not be copied only from tool results (see
      ``corral.guards.provenance``). The agent then hands the policy each call's provenance.
    - ``intent``: True, an ``IntentRule`` or its keyword arguments as a dict (``{"words": {...},
      "exempt": [...]}``): a tool that acts (sends, pays, deletes, books ...) runs only when a user
      turn asks for that kind of action (see ``corral.guards.intent``) or the ``approver`` says yes;
      a refusal carries ``approval_required``, so ``policy.approved(call)`` lets a confirmed call run.

    Example::

        >>> p = ToolPolicy(budgets={"search": 1})
        >>> p.check("tool_call", ToolCallPayload(name="search", calls_so_far={"search": 1})).reason
        "tool 'search' already used 1 of its 1 calls this run"
    """

    name = "tool_policy"
    cost = 0
    inline = True  # offline and synchronous: the loop may run it without a driver round trip

    def __init__(
        self,
        *,
        allow: Iterable[str] | None = None,
        deny: Iterable[str] = (),
        budgets: Mapping[str, int] | None = None,
        constraints: Mapping[str, Constraint | Iterable[Constraint]] | None = None,
        requires_approval: Iterable[str] = (),
        approver: Callable[[ToolCallPayload], bool] | None = None,
        provenance: ProvenanceRule | bool | Mapping[str, Any] | None = None,
        intent: IntentRule | bool | Mapping[str, Any] | None = None,
    ) -> None:
        self.allow = frozenset(allow) if allow is not None else None
        self.deny = frozenset(deny)
        self.budgets = dict(budgets or {})
        self.constraints = {k: _as_list(v) for k, v in (constraints or {}).items()}
        self.requires_approval = frozenset(requires_approval)
        self.approver = approver
        self.provenance = _as_rule(provenance, ProvenanceRule, "provenance")
        self.intent = _as_rule(intent, IntentRule, "intent")
        for schema in (c for cs in self.constraints.values() for c in cs if isinstance(c, Mapping)):
            jsonschema.validators.validator_for(schema).check_schema(schema)

    def check(self, stage: Stage, payload: Any) -> Verdict:
        check_stage(stage)
        if stage != "tool_call" or not isinstance(payload, ToolCallPayload) or not self._has_rules():
            return Verdict.allow(self.name)
        for step in (self._listed, self._budget, self._arguments, self._provenance, self._intent, self._approval):
            verdict = step(payload)
            if verdict is not None:
                return verdict
        return Verdict.allow(self.name)

    async def acheck(self, stage: Stage, payload: Any) -> Verdict:
        return self.check(stage, payload)

    def _has_rules(self) -> bool:
        # Read at each call (the rule sets are plain attributes a caller may change).
        return bool(
            self.allow is not None
            or self.deny
            or self.budgets
            or self.constraints
            or self.requires_approval
            or self.provenance is not None
            or self.intent is not None
        )

    @property
    def wants_provenance(self) -> bool:
        """True when the policy checks where arguments came from or what the user asked for: the agent
        then fills in the run's sources."""
        return self.provenance is not None or self.intent is not None

    def _block(self, category: str, reason: str, **details: Any) -> Verdict:
        return Verdict.block(self.name, reason, categories=(category,), score=1.0, details=details)

    def _listed(self, call: ToolCallPayload) -> Verdict | None:
        if call.name in self.deny:
            return self._block("denied_tool", f"tool {call.name!r} is on the deny list")
        if self.allow is not None and call.name not in self.allow:
            allowed = ", ".join(sorted(self.allow)) or "none"
            return self._block("denied_tool", f"tool {call.name!r} is not on the allow list ({allowed})")
        return None

    def _budget(self, call: ToolCallPayload) -> Verdict | None:
        used = call.calls_so_far.get(call.name, 0)
        limit = self.budgets.get(call.name)
        if limit is not None and used >= limit:
            return self._block(
                "budget_exceeded", f"tool {call.name!r} already used {used} of its {limit} calls this run"
            )
        total, cap = sum(call.calls_so_far.values()), self.budgets.get("*")
        if cap is not None and total >= cap:
            return self._block("budget_exceeded", f"the run already made {total} of its {cap} tool calls")
        return None

    def _arguments(self, call: ToolCallPayload) -> Verdict | None:
        for constraint in self.constraints.get(call.name, []):
            problem = _violation(constraint, call.arguments)
            if problem:
                return self._block("argument_constraint", f"arguments of {call.name!r} refused: {problem}")
        return None

    def _provenance(self, call: ToolCallPayload) -> Verdict | None:
        if self.provenance is None:
            return None
        problem = self.provenance.problem(call)
        if problem:
            return self._block("untrusted_argument", f"arguments of {call.name!r} refused: {problem}")
        return None

    def _intent(self, call: ToolCallPayload) -> Verdict | None:
        if self.intent is None:
            return None
        problem = self.intent.problem(call)
        if not problem:
            return None
        # The user confirming the call is what the refusal asks for: an approver's yes lets it run.
        if self.approver is not None and self.approver(call):
            return Verdict.allow(self.name, reason=f"tool {call.name!r} approved", details={"approved": True})
        return self._block("unrequested_action", f"call refused: {problem}", approval_required=True)

    def _approval(self, call: ToolCallPayload) -> Verdict | None:
        if call.name not in self.requires_approval:
            return None
        if self.approver is not None and self.approver(call):
            return Verdict.allow(self.name, reason=f"tool {call.name!r} approved", details={"approved": True})
        return self._block(
            "approval_required", f"tool {call.name!r} needs a human's approval before it runs", approval_required=True
        )

    def approved(self, call: ToolCallPayload) -> ToolPolicy:
        """A copy of this policy whose approver says yes to exactly this call (name + arguments)."""
        prior = self.approver

        def approver(c: ToolCallPayload) -> bool:
            same = c.name == call.name and c.arguments == call.arguments
            return same or bool(prior and prior(c))

        copy = ToolPolicy.__new__(ToolPolicy)
        copy.__dict__.update(self.__dict__, approver=approver)
        return copy


def _as_rule(value: Any, kind: type, name: str) -> Any:
    """``name``'s rule from True, an instance of ``kind`` or a dict of its options; None when off."""
    if value is None or value is False:
        return None
    if value is True:
        return kind()
    if isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        return kind(**value)
    raise TypeError(f"{name} must be True, {kind.__name__}(...) or a dict of its options, not {value!r}")


def _as_list(value: Constraint | Iterable[Constraint]) -> list[Constraint]:
    if isinstance(value, Mapping) or callable(value):
        return [value]
    return list(value)


def _violation(constraint: Constraint, arguments: dict[str, Any]) -> str:
    """'' when the arguments pass, otherwise what is wrong."""
    if isinstance(constraint, Mapping):
        errors = sorted(jsonschema.validators.validator_for(constraint)(constraint).iter_errors(arguments), key=str)
        if not errors:
            return ""
        where = "/".join(str(p) for p in errors[0].absolute_path) or "arguments"
        return f"{where}: {errors[0].message}"
    result = constraint(arguments)
    if result is True:
        return ""
    return (
        result
        if isinstance(result, str) and result
        else f"constraint {getattr(constraint, '__name__', 'predicate')} failed"
    )
