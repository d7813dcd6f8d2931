"""``tool_choice="auto"`` on the real tiny model: corral decides (scores text vs each call) instead of
letting the first sampled token decide. It calls on a request a tool plainly serves and answers in
text when no tool fits.

The requests are written here (not BFCL items) and were not used to tune the rule. The weather
question's raw margin is -17.6 (the first rule, a raw margin of -11.5, answered it in text); the
fitted rule calls because the offered tools speak of the question's words."""

from __future__ import annotations

import pytest

from corral import Agent
from corral.tools import Tool, normalize_schema, tool


@tool
def get_weather(city: str) -> str:
    """Get the current weather forecast for a city."""
    return f"Sunny in {city}"


@tool
def convert_currency(amount: float, source: str, target: str) -> str:
    """Convert an amount of money from one currency to another."""
    return f"{amount} {source} in {target}"


@tool
def circle_area(radius: float, units: str = "meters") -> str:
    """Calculate the area of a circle from its radius."""
    return f"area of radius {radius} {units}"


@pytest.fixture(scope="module")
def agent(tiny_backend):
    return Agent(tiny_backend, tools=[get_weather, convert_currency], max_turns=1, max_tokens=96)


@pytest.fixture(scope="module")
def geometry(tiny_backend):
    return Agent(tiny_backend, tools=[circle_area, get_weather], max_turns=1, max_tokens=128)


def test_a_clearly_relevant_request_gets_a_schema_valid_call(agent, tiny_backend):
    result = agent.run("What is the weather forecast in Paris?")
    trace = tiny_backend.last_trace
    assert trace is not None and trace.decision.kind == "call", trace
    assert [c.name for c in result.tool_calls] == ["get_weather"]
    assert isinstance(result.tool_calls[0].arguments["city"], str)


def test_a_clearly_irrelevant_request_gets_text(agent, tiny_backend):
    result = agent.run("Write a short poem about the sea.")
    assert tiny_backend.last_trace.decision.kind == "text"
    assert not result.tool_calls
    # a poem may run past the fixture's max_tokens, or repeat a line until stopped: the run says which
    assert result.stop_reason in ("final", "max_tokens", "repetition")
    assert isinstance(result.output, str) and result.output.strip()


def test_a_request_listing_like_values_gets_one_call_per_value(geometry, tiny_backend):
    # The tiny model ends after its first call on its own (its "another call" score is ~-15);
    # the question's unused radii keep the turn going, each further call schema-valid.
    result = geometry.run("What are the areas of circles with radius 5, 10 and 15 meters?")
    assert [c.name for c in result.tool_calls] == ["circle_area"] * 3
    assert sorted(c.arguments["radius"] for c in result.tool_calls) == [5, 10, 15]


def test_a_single_request_gets_exactly_one_call(geometry, tiny_backend):
    result = geometry.run("What is the area of a circle with radius 7 meters?")
    assert [(c.name, c.arguments["radius"]) for c in result.tool_calls] == [("circle_area", 7)]
    assert tiny_backend.last_trace.dropped == 0


def _schema_tool(name: str, description: str, properties: dict, required: list[str]):
    schema = {"type": "object", "properties": properties, "required": required}
    return Tool.from_schema(name, description, normalize_schema(schema), func=lambda **_: "ok")


ENTROPY = _schema_tool(
    "calculate_entropy_change",
    "Calculate the entropy change for an isothermal and reversible process.",
    {
        "initial_temp": {"type": "integer", "description": "The initial temperature in Kelvin."},
        "final_temp": {"type": "integer", "description": "The final temperature in Kelvin."},
        "heat_capacity": {"type": "integer", "description": "The heat capacity in J/K."},
        "isothermal": {"type": "boolean", "description": "Whether the process is isothermal. Default is True."},
    },
    ["initial_temp", "final_temp", "heat_capacity"],
)
RECIPE = _schema_tool(
    "get_recipe",
    "Fetch the recipe for a specific dish along with preparation steps.",
    {
        "dish_name": {"type": "string", "description": "Name of the dish whose recipe needs to be fetched."},
        "diet_preference": {
            "type": "string",
            "description": "Preferred dietary consideration like vegan, vegetarian, gluten-free etc. Default is none.",
            "default": "none",
        },
    },
    ["dish_name"],
)


@pytest.mark.parametrize(
    ("tool_", "question"),
    [
        (
            ENTROPY,
            "Calculate the entropy change for a certain process given an initial temperature of 300K, "
            "a final temperature of 400K, and a heat capacity of 5J/K.",
        ),
        (RECIPE, "Get the recipe for vegan chocolate cake including the steps for preparation."),
    ],
)
def test_a_decided_call_is_the_call_the_model_writes_when_forced(tiny_backend, tool_, question):
    # With one tool, deciding to call must not change the call: the model writes the opening with
    # its own tokens, as under "required". (An opening forced as text, cut where the tokenizer cuts,
    # made the model add isothermal=false and write diet_preference "vegan_chocolate_cake" on these
    # BFCL items.)
    decided = Agent(tiny_backend, tools=[tool_], max_turns=1, max_tokens=96).run(question)
    assert tiny_backend.last_trace.decision.kind == "call"
    forced = Agent(tiny_backend, tools=[tool_], max_turns=1, max_tokens=96, tool_choice="required").run(question)
    assert [(c.name, c.arguments) for c in decided.tool_calls] == [(c.name, c.arguments) for c in forced.tool_calls]
    assert len(decided.tool_calls) == 1


R_SQUARED = _schema_tool(
    "linear_regression.get_r_squared",
    "Calculate the coefficient of determination of a regression model.",
    {
        "dataset_path": {"type": "string", "description": "Path to the CSV dataset file."},
        "independent_variables": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The independent variables to use in the regression model.",
        },
        "dependent_variable": {"type": "string", "description": "The dependent variable to predict."},
    },
    ["dataset_path", "independent_variables", "dependent_variable"],
)


def test_an_argument_that_loops_is_closed_and_the_call_stays_schema_valid(tiny_backend):
    # BFCL simple_python_126: the tiny model loops inside the list ("C:C:C:", "C:C:C:", ...). The
    # loop check used to cut the call there, leaving JSON that does not parse; now the sampler closes
    # the string, the list and the object at the next points the grammar allows.
    question = (
        "What is the coefficient of determination (R-squared) for a model using engine size and fuel "
        "economy variables to predict car_price with a dataset in path C:/data/cars.csv?"
    )
    result = Agent(tiny_backend, tools=[R_SQUARED], max_turns=1, max_tokens=256).run(question)
    assert tiny_backend.last_trace.decision.kind == "call"
    assert [c.name for c in result.tool_calls] == ["linear_regression.get_r_squared"]
    call = result.tool_calls[0]
    assert call.status == "ok", call  # the arguments met the schema and the tool ran


DEPRECIATION = _schema_tool(
    "finance.property_depreciation",
    "Calculates the depreciated value of a property given its initial cost, depreciation rate, and the number of years.",
    {
        "initial_cost": {"type": "integer", "description": "The initial cost of the property."},
        "depreciation_rate": {"type": "integer", "description": "The annual depreciation rate in percentage."},
        "years": {"type": "integer", "description": "The number of years for which to calculate the depreciation."},
    },
    ["initial_cost", "depreciation_rate", "years"],
)


@pytest.mark.parametrize(
    ("question", "cost"),
    [
        # BFCL multiple_14: the tiny model copied "$200,000" as 200
        (
            "Calculate the depreciated value of a property costing $200,000 with an annual depreciation rate "
            "of 3% for 5 years.",
            200000,
        ),
        # written here: a scale word
        (
            "Calculate the depreciated value of a property costing $2 million with an annual depreciation "
            "rate of 4% for 7 years.",
            2000000,
        ),
    ],
)
@pytest.mark.parametrize("choice", ["auto", "required"])
def test_a_number_written_in_parts_is_copied_whole(tiny_backend, question, cost, choice):
    result = Agent(tiny_backend, tools=[DEPRECIATION], max_turns=1, max_tokens=96, tool_choice=choice).run(question)
    if choice == "auto":
        assert tiny_backend.last_trace.decision.kind == "call"
    assert [c.name for c in result.tool_calls] == ["finance.property_depreciation"]
    assert result.tool_calls[0].arguments["initial_cost"] == cost


HOTELS = _schema_tool(
    "find_hotels",
    "Find hotels in a city.",
    {
        "city": {"type": "string", "description": "The city."},
        "max_price": {"type": "integer", "description": "Highest price per night in dollars. Optional."},
        "stars": {"type": "integer", "description": "Minimum star rating. Optional."},
    },
    ["city"],
)
BOOKS = _schema_tool(
    "search_books",
    "Search a library's catalogue.",
    {
        "title": {"type": "string", "description": "Title of the book."},
        "author": {"type": "string", "description": "Author's name. Optional."},
        "genre": {"type": "string", "description": "Genre of the book. Optional."},
    },
    ["title"],
)
SCORERS = _schema_tool(
    "top_scorers",
    "The top goal scorers of a league.",
    {
        "league": {"type": "string", "description": "The league."},
        "count": {"type": "integer", "description": "How many players to list. Default 10."},
        "season": {"type": "integer", "description": "The season's year. Optional."},
    },
    ["league"],
)
GROUNDED = [
    (HOTELS, "Find hotels in Lisbon.", {"city": "Lisbon"}),
    (BOOKS, "Is 'The Hobbit' in the library?", {"title": "The Hobbit"}),
    (SCORERS, "Who are the top scorers in the Bundesliga?", {"league": "Bundesliga"}),
]


def test_optional_values_nobody_asked_for_are_left_to_the_tools_defaults(tiny_backend):
    """The tiny model adds stars=10, the title again as the author, a genre and a season; the
    decided call keeps only what the question grounds (these requests are written here)."""
    from corral.prompts import DecisionPolicy

    invented = 0
    for tool_, question, expected in GROUNDED:
        result = Agent(tiny_backend, tools=[tool_], max_turns=1, max_tokens=128).run(question)
        assert [(c.name, c.arguments) for c in result.tool_calls] == [(tool_.name, expected)], question
        raw = Agent(tiny_backend, tools=[tool_], max_turns=1, max_tokens=128, decision=DecisionPolicy(ground=False))
        [call] = raw.run(question).tool_calls
        invented += len(call.arguments) > len(expected)
    assert invented == 3  # what grounding removed was there to remove


def test_grounding_rewrites_a_python_style_call_that_still_parses(tiny_backend):
    """In Meta's llama3.2 format the tiny model adds max_price and stars, an author and a genre, a
    season: the rewritten calls read back with only the asked-for keys."""
    for tool_, question, expected in GROUNDED:
        result = Agent(tiny_backend, tools=[tool_], format="llama3.2", max_turns=1, max_tokens=128).run(question)
        assert [(c.name, set(c.arguments)) for c in result.tool_calls] == [(tool_.name, set(expected))], question
        assert result.tool_calls[0].status == "ok"


FORECAST = _schema_tool(
    "weather.forecast",
    "Forecast the weather for a city.",
    {
        "city": {"type": "string", "description": "The city."},
        "unit": {"type": "string", "description": "Temperature unit, 'celsius' or 'fahrenheit'. Default 'celsius'."},
    },
    ["city"],
)
TICKETS = _schema_tool(
    "concert.book",
    "Book concert tickets.",
    {
        "artist": {"type": "string", "description": "The artist."},
        "city": {"type": "string", "description": "The city of the concert."},
        "num_tickets": {"type": "integer", "description": "How many tickets. Default 1."},
    },
    ["artist", "city"],
)
TRAINS = _schema_tool(
    "trains.search",
    "Search train connections between two stations.",
    {
        "origin": {"type": "string", "description": "Departure station."},
        "destination": {"type": "string", "description": "Arrival station."},
        "include_night_trains": {"type": "boolean", "description": "Also list night trains. Default false."},
    },
    ["origin", "destination"],
)
ASKED = [
    (FORECAST, "What will the weather be in Oslo tomorrow, in fahrenheit?", {"unit": "fahrenheit"}),
    (TICKETS, "Book three tickets for the Radiohead concert in Paris.", {"num_tickets": 3}),
    (TRAINS, "Search train connections from Vienna to Venice, including night trains.", {"include_night_trains": True}),
]


def test_optional_values_the_question_asks_for_are_written(tiny_backend):
    """The tiny model leaves out a unit, a ticket count and a night-train flag the question asks
    for; the decided call holds them (these requests are written here, not BFCL items)."""
    from corral.prompts import DecisionPolicy

    left_out = 0
    for tool_, question, asked in ASKED:
        result = Agent(tiny_backend, tools=[tool_], max_turns=1, max_tokens=128).run(question)
        [call] = result.tool_calls
        assert call.status == "ok", call  # schema-valid, and the tool ran
        assert {k: call.arguments.get(k) for k in asked} == asked, question
        plain = Agent(tiny_backend, tools=[tool_], max_turns=1, max_tokens=128, decision=DecisionPolicy(ask=False))
        [before] = plain.run(question).tool_calls
        left_out += {k: before.arguments.get(k) for k in asked} != asked
    assert left_out >= 2  # what the rule added was missing without it


LOOPY = [
    "Give me a recipe for chicken and mushrooms.",
    "What are the rules of the card game Uno?",
    "List the planets of the solar system and one fact about each.",
]


def test_prose_stopped_as_a_loop_is_reported_as_repetition_not_max_tokens(tiny_backend):
    # The tiny model lists "- 1 lb chicken breasts" over and over: the decoder stops it early, and
    # the run must not claim it hit max_tokens (raising max_tokens would only repeat it longer).
    agent = Agent(tiny_backend, tools=[get_weather], max_tokens=256, guards=None)
    reasons = []
    for question in LOOPY:
        result = agent.run(question)
        tokens = result.turns[-1].completion_tokens
        reasons.append(result.stop_reason)
        if result.stop_reason == "repetition":
            assert tokens < 256 and not result.truncated and result.output
        elif result.stop_reason == "max_tokens":
            assert tokens >= 256, (question, tokens)  # only a real cut says max_tokens
    assert "repetition" in reasons, reasons  # these questions make the tiny model loop
