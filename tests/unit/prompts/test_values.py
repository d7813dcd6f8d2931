"""The values a question names, which of them the calls so far left unused, and the next call built
from them (what lets a small model finish a parallel request; model-free)."""

from corral.prompts.decide import call_arguments, call_text
from corral.prompts.values import leftover, next_values, number_continuation, scaled_numbers, uses, values


def test_values_are_standalone_numbers_codes_quoted_text_and_mid_sentence_names():
    found = [
        (v.kind, v.text)
        for v in values("Compare C6H12O6 with 'table sugar' at 25% for Marie Curie, x^2, 1e-9, 2019-2020")
    ]
    assert ("mixed", "C6H12O6") in found and ("quoted", "'table sugar'") in found
    assert ("number", "25%") in found and ("name", "Marie Curie") in found
    # exponents, scientific notation and ranges are not values a call takes one by one
    assert not any(text in ("2", "9", "2019", "2020") for _, text in found)


def test_numbers_match_by_value_and_percentages_also_as_fractions():
    rate = next(v for v in values("a rate of 5%") if v.kind == "number")
    assert uses(rate, {"rate": 0.05}) and uses(rate, {"rate": 5}) and not uses(rate, {"rate": 0.5})
    assert uses(next(iter(values("$2,000 now"))), {"amount": "2000"})


def test_only_kinds_the_calls_took_from_the_question_are_left_over():
    q = "Weather in Paris and Berlin for 3 days"
    assert [v.text for v in leftover(q, [{"city": "Paris", "days": 3}])] == ["Berlin"]
    # the call took no name from the question: names are not counted as unused
    assert leftover(q, [{"city": "FR-75", "days": 3}]) == []
    assert leftover(q, [{"city": "Paris", "days": 3}, {"city": "Berlin", "days": 3}]) == []


def test_a_name_is_left_over_only_in_the_role_of_a_used_one():
    # listed with a used name, or after the same preposition: another call's value
    assert [v.text for v in leftover("Weather in Paris, London and Rome?", [{"city": "Paris"}])] == ["London"]
    q = "Restaurants in New York that serve vegan food, and in Los Angeles that deliver"
    assert [v.text for v in leftover(q, [{"location": "New York"}])] == ["Los Angeles"]
    # a name in another role is not a reason for a second call (BFCL simple_python_364, 319)
    assert leftover("Can I find an Italian restaurant near Brooklyn?", [{"location": "Brooklyn"}]) == []
    assert leftover("Ranking of Manchester United in Premier League?", [{"team": "Manchester United"}]) == []


def test_a_place_and_its_region_are_one_value():
    q = "What's the temperature in Seattle, Washington?"
    assert [v.text for v in values(q)] == ["Seattle, Washington"]
    assert leftover(q, [{"location": "Seattle"}]) == []  # the city alone uses it
    # a list is not a place: each city is its own value
    assert [v.text for v in values("Population of New York, Los Angeles and Tokyo, Japan")] == [
        "New York",
        "Los Angeles",
        "Tokyo, Japan",
    ]


def test_the_parts_of_a_date_are_not_values():
    q = "Lawsuits against 'Google' filed after January 1, 2021 in California"
    assert [v.text for v in values(q)] == ["'Google'", "California"]
    assert [v.text for v in values("Book from 1st June 2022 for 3 nights")] == ["3"]
    # years on their own still are (a parallel request may list them)
    assert [v.key for v in values("Presidents in 1980 and 2016") if v.kind == "number"] == [1980, 2016]


def test_next_values_swaps_each_used_value_for_the_next_of_its_kind_in_order():
    q = "HCF of (45, 60), then of (90, 120)"
    assert next_values(q, [{"a": 45, "b": 60}]) == {"a": 90, "b": 120}
    assert next_values(q, [{"a": 45, "b": 60}, {"a": 90, "b": 120}]) is None
    # a float stays a float; a number inside a string is replaced in place
    assert next_values("4.22 then 6.1 light years", [{"d": 4.22}]) == {"d": 6.1}
    assert next_values("ticket 123 and 456", [{"ref": "T-123"}]) == {"ref": "T-456"}


def test_a_unit_said_once_stays_but_a_number_without_a_replacement_means_no_further_call():
    q = "Molecular weight of C6H12O6 in 'grams/mole', and of C12H22O11"
    assert next_values(q, [{"compound": "C6H12O6", "unit": "grams/mole"}]) == {
        "compound": "C12H22O11",
        "unit": "grams/mole",
    }
    assert next_values(q, [{"compound": "C6H12O6", "unit": "grams/mole"}], strict=True) is None
    # one number used, none left of its kind: a single request, not a list of like ones
    assert next_values("Area of a circle of radius 5 in Paris and Rome", [{"r": 5, "city": "Paris"}]) is None


def test_written_calls_read_back_in_both_flavors():
    for flavor in ("json", "pythonic"):
        text = call_text("f", {"a": 1, "b": "x y", "c": [1.5]}, flavor)
        assert call_arguments(text, flavor) == {"a": 1, "b": "x y", "c": [1.5]}
    assert call_arguments("[f(a=1", "pythonic") is None
    assert call_arguments('{"name": "f", "parameters": [1]}', "json") is None


def test_next_values_swaps_the_one_listed_value_and_keeps_the_rest():
    q = "Monthly payment for a loan of $400,000 at 4% over a term of 15, 20 and 30 years."
    first = {"loan_amount": 400000, "interest_rate": 4, "loan_term": 15}
    assert next_values(q, [first]) == {"loan_amount": 400000, "interest_rate": 4, "loan_term": 20}
    assert next_values(q, [first, {**first, "loan_term": 20}]) == {**first, "loan_term": 30}
    # without a list, a number with no replacement still means no further call
    assert next_values("A loan of $400,000 at 4% for 15 years, and a car", [first]) is None


def _whole(question: str) -> list[tuple[str, str]]:
    return [(s.first, s.whole) for s in scaled_numbers(question)]


def test_numbers_written_in_parts_are_read_whole():
    assert _whole("$200,000 and 1,250,000 shares") == [("200", "200000"), ("1", "1250000")]
    assert _whole("$50 million, 3 billion, $1.2M, $300k, $2bn") == [
        ("50", "50000000"),
        ("3", "3000000000"),
        ("1", "1200000"),
        ("300", "300000"),
        ("2", "2000000000"),
    ]
    # a letter without "$" may be a unit; a plain number, a decimal or a year is not in parts
    assert _whole("run 5m in 2,5 minutes, 3.5 km, in 2020") == []
    assert _whole("12.3456 thousand") == []  # not a whole number
    assert _whole("12.345 thousand") == [("12", "12345")]
    # the first group also standing alone makes a copied "200" ambiguous: left alone
    assert _whole("Split $200,000 over 200 days") == []


def test_a_number_argument_is_continued_only_toward_a_number_of_the_question():
    scaled = scaled_numbers("liabilities of $10,000 and assets of $100,000")
    assert number_continuation('{"name": "f", "parameters": {"a": 10', scaled) == ("a", ["000"], False, False)
    assert number_continuation('{"name": "f", "parameters": {"a": 100', scaled) == ("a", ["00", "000"], False, True)
    assert number_continuation('{"name": "f", "parameters": {"a": 10000', scaled) == ("a", ["0"], True, True)
    assert number_continuation('{"name": "f", "parameters": {"a": 100000', scaled) == ("a", [], True, True)
    assert number_continuation("[f(a=10", scaled) == ("a", ["000"], False, False)  # Python-style calls
    assert number_continuation('{"name": "f", "parameters": {"a": 7', scaled) is None
    assert number_continuation('{"name": "f", "parameters": {"a": "10', scaled) is None  # a string
    assert number_continuation('{"name": "f", "parameters": {"a": [10', scaled) is None  # a list item


def test_a_comma_list_the_call_reads_as_numbers_is_not_continued():
    scaled = scaled_numbers("NPV of cash flows 200,300,400,500 with an initial investment of $2,000")
    call = '{"name": "npv", "parameters": {"cash_flows": [200, 300, 400, 500], "initial_investment": 200'
    assert number_continuation(call, scaled) == ("initial_investment", ["0"], False, True)  # toward 2,000 only
