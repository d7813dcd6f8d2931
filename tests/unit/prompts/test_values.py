"""The values a question names, which of them the calls so far left unused, and the next call built
from them (what lets a small model finish a parallel request; model-free)."""

from corral.prompts.decide import call_arguments, call_text
from corral.prompts.values import leftover, next_values, uses, values


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
