"""Retrieval QA: index a folder of documents into sqlite FTS5, answer questions with citations.

The agent gets one tool, ``search_documents`` (corral's built-in BM25 search over a
``DocumentIndex``); every answer lists the passages it was given, by file and character range, so
a reader can check the claim. Ships its own small corpus (a fictional company handbook).

Run it (offline, on the default model)::

    python examples/retrieval_qa.py                          # writes the corpus to a temp folder
    python examples/retrieval_qa.py --docs ./my_docs "What is our refund policy?"
    python examples/retrieval_qa.py --model path/to/Llama-3.2-3B-Instruct-Q4_K_M.gguf
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

CORPUS = {
    "handbook/leave.md": """# Leave

Every employee gets 27 days of paid leave per calendar year, plus public holidays.
New employees earn leave pro rata from their first day.

Up to 5 unused days may be carried over to the next year; they expire on 31 March.
Parental leave is 16 weeks at full pay for every parent, taken within the child's first two years.
""",
    "handbook/expenses.md": """# Expenses

Submit receipts in the expenses app within 30 days of the purchase.
Meals while travelling are reimbursed up to 45 EUR per day; alcohol is never reimbursed.

Home-office equipment up to 600 EUR every three years needs no prior approval.
Anything above that needs your manager's approval before you buy it.
""",
    "handbook/security.md": """# Security

Laptops must use full-disk encryption and lock after 5 minutes without use.
Report a lost or stolen device to security@northwind.example within one hour.

Never share your password, not even with IT staff. Passwords are at least 14 characters long.
Phishing tests are sent every quarter; reporting them earns a thank-you from the security team.
""",
    "office/kitchen.md": """# Kitchen

The coffee machine on the third floor is descaled every Friday afternoon.
Label your food in the fridge with your name and the date; the fridge is emptied on Fridays at 16:00.
""",
    "office/visitors.md": """# Visitors

Register visitors at reception at least one day ahead. Visitors wear a badge at all times
and are accompanied by their host. The visitor Wi-Fi network is called Northwind-Guest.
""",
}

QUESTIONS = (
    "How many days of paid leave do employees get?",
    "Until when can carried-over leave days be used?",
)

SYSTEM = (
    "You answer questions about the company handbook. Search the documents first, then answer "
    "in one or two sentences using only what the passages say, citing the file name in brackets."
)


def write_corpus(folder: Path) -> Path:
    """Write the sample handbook into ``folder`` (the example's own corpus); return the folder."""
    for name, text in CORPUS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def cited_passages(result) -> list[str]:  # noqa: ANN001 - a corral RunResult
    """``source (characters a-b)`` for every passage the search tool handed the model."""
    found = []
    for call in result.tool_calls:
        if call.status == "ok":
            found += re.findall(r"^\[\d+\] (\S+ \(characters \d+-\d+)", call.result, flags=re.M)
    return [f"{c})" for c in dict.fromkeys(found)]


def build_agent(index, model: str | None, max_tokens: int):  # noqa: ANN001, ANN201
    """An agent whose one tool searches ``index``; the first turn must search (then it answers)."""
    from corral import Agent, LlamaCppBackend
    from corral.backends.model_files import resolve_model
    from corral.tools.builtin.documents import search_tool

    resolved = resolve_model(model)
    if resolved.is_tiny_stand_in:
        print("note: using the tiny offline stand-in model (SmolLM2-135M); answers will be rough", file=sys.stderr)
    backend = LlamaCppBackend(resolved.path, n_ctx=2048)
    return Agent(
        backend,
        tools=[search_tool(index, max_results=3)],
        system=SYSTEM,
        tool_choice="search_documents",
        max_turns=3,
        max_tokens=max_tokens,
    )


def main(argv: Sequence[str] | None = None) -> int:
    from corral.tools.builtin.documents import DocumentIndex

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", help="questions (default: two about the sample handbook)")
    parser.add_argument("--docs", type=Path, help="folder of .md/.txt files (default: the sample corpus)")
    parser.add_argument("--index", type=Path, help="sqlite file to keep the index in (default: next to the docs)")
    parser.add_argument("--model", help="GGUF path or hf: reference (default: corral's resolution order)")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per model turn")
    args = parser.parse_args(argv)

    docs = args.docs or write_corpus(Path(tempfile.mkdtemp(prefix="corral-retrieval-")))
    with DocumentIndex(args.index or docs / ".corral-index.sqlite") as index:
        changed = index.add_folder(docs)
        print(f"indexed {changed} changed file(s) of {len(index.sources)} under {docs}")
        agent = build_agent(index, args.model, args.max_tokens)
        for question in args.questions or QUESTIONS:
            result = agent.run(question)
            print(
                f"\nQ: {question}\nA: {str(result.output or '').strip() or '(no answer: ' + result.stop_reason + ')'}"
            )
            for passage in cited_passages(result):
                print(f"   source: {passage}")
            for call in result.tool_calls:
                if call.status == "blocked":  # a guard judged the retrieved text unsafe to show the model
                    print(f"   withheld: {call.name}({call.arguments}) by the {call.blocked_by} guard")
    return 0


if __name__ == "__main__":
    sys.exit(main())
