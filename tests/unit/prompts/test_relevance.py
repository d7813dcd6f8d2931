"""The lexical relevance prior: which offered tool a question's words point at (model-free)."""

from corral.prompts.relevance import relevance, words

WEATHER = {
    "name": "getWeatherForecast",
    "description": "Forecast for a city.",
    "parameters": {"properties": {"city": {"type": "string", "description": "The city's name"}}},
}
CURRENCY = {
    "name": "convert_currency",
    "description": "Convert an amount of money.",
    "parameters": {"properties": {"amount": {"type": "number"}, "target": {"type": "string"}}},
}


def test_words_split_camel_case_and_separators_and_stem_lightly():
    assert {"weather", "forecast", "city"} <= words("getWeatherForecasts for city.name")
    assert "the" not in words("the weather")


def test_the_tool_the_question_names_scores_highest():
    scores = relevance("What is the weather forecast in Paris?", [WEATHER, CURRENCY])
    assert scores["getWeatherForecast"] > 0.4 and scores["convert_currency"] == 0.0


def test_a_word_every_tool_shares_counts_less_than_a_distinctive_one():
    a = {"name": "search_flight", "description": "Search flights."}
    b = {"name": "search_hotel", "description": "Search hotels."}
    scores = relevance("search hotels", [a, b])
    assert scores["search_hotel"] > scores["search_flight"] > 0.0


def test_no_content_words_or_no_tools_give_zero_not_an_error():
    assert relevance("the of and", [WEATHER]) == {"getWeatherForecast": 0.0}
    assert relevance("weather", []) == {}


def test_a_word_and_its_inflections_match_whichever_side_drops_a_final_e():
    from corral.prompts.relevance import coverage

    tool = {"name": "calc_binomial_prob", "description": "Calculates the probability over many times."}
    assert words("calculate the time") == words("calculated the times") == {"calculat", "tim"}
    # Every content word of the question but the coin is now found in the tool.
    assert coverage("Calculate the probability for 100 times of a coin", [tool]) > 0.7
