"""Guards see the user's turn a call or an answer serves: ToolCallPayload.user_text, and a
Conversation at output for guards that ask for it (Llama Guard judges answers in context)."""

from __future__ import annotations

from guard_doubles import RecordingGuard

from corral.guards import Conversation, GuardChain, LlamaGuard, PIIRedactor, ToolCallPayload
from corral.testing import ScriptedBackend


def test_calls_and_answers_carry_the_user_turn(make_agent):
    plain, contextual = RecordingGuard("plain"), RecordingGuard("contextual", wants_conversation=True)
    chain = GuardChain({"tool_call": [plain], "output": [plain, contextual]})
    agent, _ = make_agent(["[add(a=1, b=2)]", "It is 3."], guards=chain)
    result = agent.run("What is 1 + 2?")
    assert result.output == "It is 3."
    [(_, call)] = [s for s in plain.seen if s[0] == "tool_call"]
    assert isinstance(call, ToolCallPayload) and call.user_text == "What is 1 + 2?"
    assert ("output", "It is 3.") in plain.seen  # the protocol: text guards get the answer text
    # ... with every text the model was given: the user's turn and the tool's result
    context = ("What is 1 + 2?", "3")
    assert contextual.seen == [("output", Conversation(user="What is 1 + 2?", agent="It is 3.", context=context))]


def test_a_continued_run_answers_the_last_user_turn_not_a_correction(make_agent):
    contextual = RecordingGuard("contextual", wants_conversation=True)
    agent, _ = make_agent(["Oslo is cold.", "Bergen too."], guards=GuardChain({"output": [contextual]}))
    first = agent.run("How is Oslo?")
    agent.run("And Bergen?", history=first)
    assert [p.user for _, p in contextual.seen] == ["How is Oslo?", "And Bergen?"]


def test_redaction_at_output_keeps_working_beside_a_contextual_guard(make_agent):
    contextual = RecordingGuard("contextual", wants_conversation=True)
    chain = GuardChain({"output": [PIIRedactor(), contextual]})
    agent, _ = make_agent(["Mail bob@example.com."], guards=chain)
    result = agent.run("Who do I mail?")
    assert result.output == "Mail [EMAIL]."
    redacted = Conversation(user="Who do I mail?", agent="Mail [EMAIL].", context=("Who do I mail?",))
    assert contextual.seen == [("output", redacted)]


def test_llama_guard_sees_the_user_turn_at_output(make_agent):
    judge = ScriptedBackend(["safe"])  # the guard model is scripted: no weights run in unit tests
    agent, _ = make_agent(["Paris."], guards=GuardChain({"output": [LlamaGuard(judge)]}))
    assert agent.run("Capital of France?").output == "Paris."
    [prompt] = judge.prompts
    assert "User: Capital of France?" in prompt and "Agent: Paris." in prompt
    assert "in 'Agent' messages" in prompt  # the Agent role: the answer is what is judged


def test_an_offline_chain_runs_in_the_loop_and_decides_the_same(make_agent):
    from corral._loop.drivers import drive
    from corral._loop.loop import CheckGuard, run_steps
    from corral.guards import CodeScanner, InjectionGuard

    texts = ["[add(a=1, b=2)]", "Mail bob@example.com: it is 3."]
    offline = GuardChain(
        {
            "input": [InjectionGuard()],
            "tool_call": [CodeScanner()],
            "tool_result": [PIIRedactor()],
            "output": [PIIRedactor()],
        }
    )
    assert offline.inline and not GuardChain({"output": [RecordingGuard("double")]}).inline
    assert not GuardChain({"output": [PIIRedactor()]}, timeout=1.0).inline  # a timeout needs the driver
    requests = []

    def watch(steps):
        sent = None
        while True:
            try:
                request = steps.send(sent)
            except StopIteration as stop:
                return stop.value
            requests.append(type(request).__name__)
            sent = yield request

    inline, _ = make_agent(texts, guards=offline)
    result = None
    for event in drive(watch(run_steps(inline.policy, inline._start("1+2?", None, None))), inline.runtime, "r"):
        result = getattr(event, "result", result)
    assert CheckGuard.__name__ not in requests and result.output == "Mail [EMAIL]: it is 3."
    # The same chain behind a double without ``inline`` goes through the driver, with the same outcome.
    mixed = GuardChain(
        {
            **{s: list(offline.guards(s)) for s in ("input", "tool_call", "tool_result")},
            "output": [PIIRedactor(), RecordingGuard("double")],
        }
    )
    agent, _ = make_agent(texts, guards=mixed)
    requests.clear()
    for event in drive(watch(run_steps(agent.policy, agent._start("1+2?", None, None))), agent.runtime, "r"):
        result = getattr(event, "result", result)
    assert requests.count(CheckGuard.__name__) == 4 and result.output == "Mail [EMAIL]: it is 3."
