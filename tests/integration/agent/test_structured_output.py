"""Structured output on the real tiny model: the answer is a ``final_result`` call whose arguments the
grammar holds to the output schema (nested models inlined), so even a 135M model gives valid objects."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from corral import Agent

PROMPTS = [
    "Anna is 31, lives in Oslo, Norway, and loves skiing and chess.",
    "Tom, 45, from Lyon in France, likes cooking.",
    "Meet Kenji, a 28-year-old from Osaka, Japan, who plays guitar.",
    "Maria (52) lives in Seville, Spain; she gardens and paints.",
    "Describe Ahmed, 39, of Cairo, Egypt, a keen runner.",
    "Lena is a sad 23-year-old student in Berlin, Germany.",
    "Pedro, 61, retired in Porto, Portugal, fishes every morning.",
    "Give me a profile: Chloe, 35, Montreal, Canada, climber.",
    "Olu is 27 and happy, from Lagos, Nigeria, and he dances.",
    "Sven, 70, Stockholm, Sweden. Hobbies: sailing, reading.",
    "Priya, aged 42, lives in Mumbai, India and enjoys yoga.",
    "Lucas is 19, from Sao Paulo, Brazil, and plays football.",
    "A neutral report on Eva, 56, from Prague, Czechia.",
    "Jack, 33, a baker in Dublin, Ireland, who also surfs.",
    "Mei, 48, Taipei, Taiwan: tea ceremonies and hiking.",
    "Omar is 30, lives in Amman, Jordan and collects stamps.",
    "Sofia, 26, Rome, Italy, sings in a choir and is happy.",
    "Nils, 44, from Oslo too, builds boats.",
    "Write a person record for Ana, 37, Lima, Peru, potter.",
    "Hugo, 58, Brussels, Belgium, cyclist, rather sad lately.",
]


class Place(BaseModel):
    city: str = Field(max_length=24)
    country: str = Field(max_length=24)


class Person(BaseModel):
    """A person described in the text."""

    name: str = Field(max_length=24)
    age: int
    home: Place
    # bounded items too: one unbounded hobby string once ran to max_tokens ("SouzaSouzaSouza...")
    hobbies: list[Annotated[str, Field(max_length=24)]] = Field(max_length=3)
    mood: Literal["happy", "sad", "neutral"]


def test_the_prompts_differ():
    assert len(set(PROMPTS)) == 20


@pytest.fixture(scope="module")
def results(tiny_backend):
    agent = Agent(tiny_backend, guards=None, max_turns=2, max_tokens=128)
    # output_type per run: the agent itself answers in text
    return [agent.run(prompt, output_type=Person) for prompt in PROMPTS]


def test_twenty_prompts_give_twenty_validated_nested_objects(results):
    # The 135M stand-in loops inside strings on some prompts ("fina_fina_fina..."); it used to run to
    # max_tokens there (1-2 of 20). The grammar sampler now favours closing tokens once the output
    # loops (corral.backends.fastgrammar.looping), so every answer closes and validates.
    problems = [(r.stop_reason, r.stop_message, r.text) for r in results if not r.ok]
    assert problems == []
    answered = [r for r in results if r.ok]
    assert all(isinstance(r.output, Person) and isinstance(r.output.home, Place) for r in answered)
    # each object is the model's own: revalidating what it wrote gives the same object
    assert all(Person.model_validate_json(r.text) == r.output for r in answered)
    # the answers were calls of final_result (the grammar allowed nothing else), not prose
    assert all(r.tool_calls == [] and r.text.startswith("{") for r in answered)
