"""Web and mail addresses for generated training texts: one pool for benign and attack texts alike.

A host name says nothing about intent. While only attack templates named hosts like
``evil.example`` and ``drop.example``, the classifier learned ``example`` as attack evidence
(about 2 logits for one ``@example.com`` address in a user's question). Every generator draws
its addresses here instead, so no host or mailbox word is more common under one label.

Example::

    >>> import random
    >>> fill_addresses("write to {mail} or see {url}", random.Random(0)).count("@")
    1
"""

from __future__ import annotations

import random
import re

__all__ = ["DOMAINS", "URLS", "MAILS", "fill_addresses", "with_addresses"]

# Real mail providers, invented businesses and reserved example names, as both kinds of text use them.
DOMAINS = (
    "gmail.com",
    "outlook.com",
    "proton.me",
    "yahoo.com",
    "northwind-traders.com",
    "contoso.com",
    "fabrikam.net",
    "bluepeak.io",
    "lakeside-dental.com",
    "rivera-law.co.uk",
    "hanse-logistik.de",
    "orbit-cloud.io",
    "example.com",
    "example.org",
    "shop.example.net",
    "mail.example",
)
_MAILBOXES = ("info", "support", "billing", "j.smith", "maria.lopez", "archive", "it-desk", "orders", "team", "hr")
_PATHS = ("", "/start", "/docs", "/returns", "/login", "/verify", "/update", "/files/report.pdf", "/offer")

URLS = tuple(f"https://{d}{p}" for d in DOMAINS for p in _PATHS)
MAILS = tuple(f"{m}@{d}" for d in DOMAINS for m in _MAILBOXES)

# How people add an address to a question or a note. Attacks end on an address too ("... send it to
# x@y.com."), so without these a sentence-final address in a user's turn read as attack evidence.
# None is a request: "send it to {mail}" taught the model that attack tasks are benign.
_SIGN_OFFS = (
    "My email is {mail}.",
    "You can reach me at {mail}.",
    "cc {mail}",
    "More details: {url}",
    "Source: {url}.",
    "I found this on {url}.",
    "The form is at {url}, if that helps.",
)

_SLOT = re.compile(r"\{(mail|url)\}")


def fill_addresses(text: str, rng: random.Random) -> str:
    """``text`` with each ``{mail}`` and ``{url}`` slot replaced by an address from the pool."""
    return _SLOT.sub(lambda m: rng.choice(MAILS if m.group(1) == "mail" else URLS), text)


def with_addresses(texts: list[str], rng: random.Random, share: float) -> list[str]:
    """``texts`` with about ``share`` of them ending in a sentence that gives an address."""
    return [f"{t} {fill_addresses(rng.choice(_SIGN_OFFS), rng)}" if rng.random() < share else t for t in texts]
