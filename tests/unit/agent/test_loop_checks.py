"""The loop checks of the auto decision's decoding (model-free): what counts as a call argument
counting up, or as prose restating itself, and what must not (it would cut a real answer short)."""

from __future__ import annotations

import json

from corral.backends.deciding import counting, repeating, restating


def test_a_list_that_only_counts_up_is_a_loop():
    # BFCL simple_python_126 on the tiny model: no 48-character span repeats exactly
    body = '["C:C:C:", ' + ", ".join(f'"dependent_variable_name_{i}"' for i in range(1, 9))
    assert not repeating(body) and counting(body)


def test_numbers_alone_and_items_the_user_spelled_out_are_not_loops():
    numbers = "[" + ", ".join(str(n) for n in range(1, 60))
    assert not counting(numbers)
    files = ", ".join(f"report_{i}.txt" for i in range(1, 13))
    body = "[" + ", ".join(f'"report_{i}.txt"' for i in range(1, 12))
    assert not counting(body, question=f"Archive {files}.")
    assert counting(body, question="Archive the monthly reports.")


def test_numbers_counting_up_past_every_number_of_the_question_are_a_loop():
    # BFCL parallel_multiple_52 on the tiny model: "start_board": [1, 2, 3, ... until max_tokens
    body = '{"rounds": 3, "start_board": [' + ", ".join(str(n) for n in range(1, 60))
    assert counting(body, question="Play the Game of life for 3 rounds starting from an empty board.")
    assert not counting(body, question="List the seat numbers 1 to 80.")  # asked for, up to 80
    assert not counting('{"start_board": [1, 2, 3, 4, 5, 6, 7', question="Play 3 rounds.")  # too short to tell
    steps = '{"values": [' + ", ".join(str(n) for n in range(2, 120, 2))
    assert not counting(steps, question="Play 3 rounds.")  # counts by two: not this rule's


def test_prose_saying_its_last_sentence_a_third_time_is_a_loop():
    rules = "The rules of Uno:\n1. The deck has 108 cards.\n" + "".join(
        f"{n}. The game is played in 102 rounds.\n" for n in range(2, 5)
    )
    assert restating(rules)
    assert not restating(rules.split("\n4.")[0])  # twice is not yet a loop
    steps = "".join(f"{n}. Add {n} cups of flour to the bowl number {n}.\n" for n in range(1, 4))
    assert restating(steps)  # the same sentence, numbers aside


def test_short_or_varied_sentences_are_not_loops():
    assert not restating("Yes. Yes. Yes. Yes.")  # too short to tell a loop from an answer
    varied = "1. Preheat the oven to 180 C.\n2. Mix the flour and sugar.\n3. Bake for 25 minutes.\n"
    assert not restating(varied)


def test_only_plain_number_parameters_are_steered_toward_a_whole_number():
    from corral.backends.deciding import _plain_number

    parameters = {
        "cost": {"type": "integer", "description": "The initial cost."},
        "rate": {"type": ["number", "null"]},
        "payout": {"type": "number", "description": "Total payout in millions of dollars."},
        "salary_k": {"type": "integer", "description": "Salary (k)."},
        "name": {"type": "string"},
    }
    assert _plain_number(parameters, "cost") and _plain_number(parameters, "rate")
    # a parameter that counts in millions or thousands takes "50" for "$50 million" as it is
    assert not _plain_number(parameters, "payout") and not _plain_number(parameters, "salary_k")
    assert not _plain_number(parameters, "name") and not _plain_number(parameters, "missing")


class _Sampler:
    closing = False


class _Model:
    def __init__(self) -> None:
        self._corral_grammar = _Sampler()


def test_a_call_nesting_in_circles_is_closed_but_parallel_calls_are_not_a_loop():
    from corral.backends.deciding import LoopCloser

    # A tree the tiny model nests forever under `required`: A, B, C, A, B, C...
    level = '{"name": "A", "children": [{"name": "B", "children": [{"name": "C", "children": ['
    model = _Model()
    closer = LoopCloser(model, "Save a tree: root A with children B and C.", names=["save_tree"])
    text = '{"name": "save_tree", "parameters": {"root": '
    pieces = iter(level * 5)
    while not model._corral_grammar.closing:
        text += next(pieces)
        assert not closer.cut(text)
    assert len(text) < 3 * len(level)  # closing favoured from the second lap on
    # A call that still will not close is cut, 64 pieces later (and said so by the caller).
    assert [closer.cut(text + "x" * i) for i in range(1, 66)][-2:] == [False, True]
    # Three calls of one tool repeat their opening; each call on its own is no loop.
    model = _Model()
    closer = LoopCloser(model, "Weather in Paris, Lyon and Nice, in celsius.", names=["get_weather"])
    calls = "; ".join(
        json.dumps({"name": "get_weather", "parameters": {"city": city, "unit": "celsius", "days": 3}})
        for city in ("Paris", "Lyon", "Nice")
    )
    text = ""
    for piece in calls:
        text += piece
        closer.cut(text)
    assert not model._corral_grammar.closing
    # Without the names, the same text is watched whole, and the repeated openings look like a loop.
    model, text = _Model(), ""
    closer = LoopCloser(model, "Weather in Paris, Lyon and Nice, in celsius.")
    for piece in calls:
        text += piece
        closer.cut(text)
    assert model._corral_grammar.closing


def test_a_numbered_list_repeating_one_item_is_a_loop_and_real_lists_are_not():
    from corral.backends.deciding import listing

    # BFCL irrelevance_189 in the llama3.2 format: the list number changes, the item does not.
    assert listing("The best players:\n" + "".join(f"{n}. Lebron James\n" for n in range(1, 12)))
    assert listing("".join(f"{n}) 2023-12-26 12:30:52.142\n" for n in range(4, 12)))
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    week = "".join(f"{n}. {day}: sunny, 21 C\n" for n, day in enumerate(days, 1))
    steps = "1. Boil the water.\n2. Add the pasta.\n3. Stir now and then.\n4. Drain it.\n5. Serve it hot.\n"
    players = "".join(f"{n}. Player {name}\n" for n, name in enumerate(["Ann", "Bo", "Cy", "Di", "Ed", "Flo"], 1))
    for text in (week, steps, players, "1. Yes\n2. Yes\n3. Yes\n"):
        assert not listing(text), text


def test_a_lettered_list_repeating_a_short_item_is_a_loop_and_real_lists_are_not():
    from corral.backends.deciding import listing

    # BFCL parallel_multiple_152: after a prose answer, "A: 90" ... "Q:" ran to max_tokens. Each item
    # is too short for a 48-character repeat to show before the budget ends.
    ramble = "So, the best route for you to avoid tolls and highways is:\n\n"
    assert listing(ramble + "".join(f"{c}: 90\n" for c in "ABCDEF"))
    assert listing(ramble + "".join(f"{c}) n/a\n" for c in "abcdef"))
    assert listing("".join(f"{n}. TBD\n" for n in range(1, 7)))
    # Five alike are not yet a loop; the line being written does not count; different items never.
    assert not listing(ramble + "".join(f"{c}: 90\n" for c in "ABCDE") + "F: 90")
    assert not listing("".join(f"{c}: {v}\n" for c, v in zip("ABCDEFGH", [90, 85, 90, 70, 90, 60, 90, 90])))
    quiz = "A: Paris\nB: Lyon\nC: Nice\nD: Lille\nE: Metz\nF: Pau\n"
    faq = "Q: Is it open?\nA: Yes.\nQ: Is it free?\nA: Yes.\nQ: Is it far?\nA: Yes.\n"
    for text in (quiz, faq, "Totals:\n" + "".join(f"{n}. 0\n" for n in range(1, 6))):
        assert not listing(text), text
