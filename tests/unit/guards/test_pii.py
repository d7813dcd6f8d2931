"""PIIRedactor: typed placeholders, checksums, linear-time patterns."""

from __future__ import annotations

import pytest

from corral.guards import PIIRedactor, ToolCallPayload
from corral.guards.pii import PII_KINDS, iban_ok, luhn_ok


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail jane.doe+x@mail.example.org now", "mail [EMAIL] now"),
        ("call +1 415-555-0132 today", "call [PHONE] today"),
        ("or (020) 7946 0958", "or [PHONE]"),
        ("card 4111 1111 1111 1111.", "card [CREDIT_CARD]."),
        ("card 4111-1111-1111-1111", "card [CREDIT_CARD]"),
        ("ssn 123-45-6789", "ssn [SSN]"),
        ("iban DE89 3704 0044 0532 0130 00", "iban [IBAN]"),
        ("host 192.168.1.20 up", "host [IP_ADDRESS] up"),
        ("v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "v6 [IP_ADDRESS]"),
        ("key sk-proj-abcdefghijklmnopqrstuvwx123456", "key [API_KEY]"),
        ("aws AKIAIOSFODNN7EXAMPLE", "aws [API_KEY]"),
        ("gh ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "gh [API_KEY]"),
        ("Authorization: Bearer abc.DEF123-ghi456JKL", "Authorization: Bearer [API_KEY]"),
        ("token=Zx9kQ2mP7vL4sT8wR1yB6nC3", "token=[SECRET]"),
    ],
)
def test_each_kind_gets_its_placeholder(text, expected):
    assert PIIRedactor().check("output", text).redacted == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # fails Luhn
        "iban DE00 3704 0044 0532 0130 00",  # fails mod 97
        "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # hex digest, not a secret
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "on 2024-01-15 version 1.2.3.4.5 costs 1,299.00",
        "ssn-like 000-12-3456",
    ],
)
def test_lookalikes_are_left_alone(text):
    verdict = PIIRedactor().check("tool_result", text)
    assert verdict.action == "allow", verdict.redacted


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


def test_verdict_counts_kinds_and_can_block_instead():
    verdict = PIIRedactor().check("output", "a@b.io and c@d.io, 10.0.0.1")
    assert verdict.action == "redact"
    assert verdict.categories == ("EMAIL", "IP_ADDRESS")
    assert verdict.details["counts"] == {"EMAIL": 2, "IP_ADDRESS": 1}
    assert PIIRedactor(block=True).check("output", "a@b.io").action == "block"


def test_configurable_kinds_placeholders_and_extra_patterns():
    redactor = PIIRedactor(kinds={"EMAIL"}, placeholders={"EMAIL": "<email>"}, extra={"TICKET": r"\bTCK-\d{4}\b"})
    assert redactor.check("output", "x@y.io 10.0.0.1 TCK-1234").redacted == "<email> 10.0.0.1 [TICKET]"
    with pytest.raises(ValueError, match="unknown PII kinds"):
        PIIRedactor(kinds={"EMAILS"})
    assert "CREDIT_CARD" in PII_KINDS


def test_tool_calls_pass_untouched():
    call = ToolCallPayload(name="send", arguments={"to": "a@b.io"})
    assert PIIRedactor().check("tool_call", call).action == "allow"


@pytest.mark.parametrize("evil", ["a." * 3000, "1-" * 3000, "A" * 6000 + "@", "aB3" * 2000, "+1" * 3000, "1 " * 3000])
def test_adversarial_inputs_finish(evil):
    # Bounded quantifiers keep these linear; a backtracking pattern would hang here.
    PIIRedactor().redact(evil)


def test_quick_prefilters_never_change_what_is_found():
    # Each detector's quick check only skips texts its pattern cannot match: same spans without it.
    import dataclasses

    from corral.guards import pii

    texts = [
        "Card 4111 1111 1111 1111, mail a.b+c@mail.example.org, call +44 20 7946 0958 or (555) 123-4567.",
        "SSN 123-45-6789, IBAN DE89 3704 0044 0532 0130 00, host 10.0.0.1 and fe80:0:0:0:0:0:0:1.",
        "Authorization: Bearer abcDEF1234567890xyzXYZ and key sk-proj-ABCDEFGHIJKLMNOPQRSTUV123 and AKIAABCDEFGHIJKLMNOP.",
        "token ghp_" + "a1B2" * 9 + " secret Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm",
        "Plain prose with no personal data at all, version 1.2.3 and 42 items.",
    ]
    plain = pii.PIIRedactor()
    slow = pii.PIIRedactor()
    slow._detectors = tuple(dataclasses.replace(d, quick=None) for d in slow._detectors)
    for text in texts:
        assert plain.find(text) == slow.find(text), text
    assert len(plain.find(texts[0])) >= 3 and plain.find(texts[4]) == []
