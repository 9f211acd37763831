"""Placeholders are not secrets; values shaped like the common providers' real tokens are."""

from __future__ import annotations

import pytest

from generator.validate.secrets import looks_like_secret, placeholder_shape


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("api_key_1234567", "hubspot.authorization.apikey"),
        ("apikey123456789012", "apiKey"),
        ("client_secret_0001", "oauth.api.secret"),
        ("ABC/D/efgHIJK1234lmnopQRS", "token"),
        ("abcdefghijklmnop1234", "token"),
        ("0123456789abcdefghij", "secret"),
        ("ab12ab12ab12ab12ab12", "secret"),
        ("token-token-token-token", "token"),
        ("47dxxxxxxxxxxxxxxxxxxxx", "infusionsoft.private.key"),
        ("<CONSUMER_SECRET>", "oauth.api.secret"),
        ("{{ page.apiKey }}", "oauth.api.key"),
        ("dt123.infusionsoft.com", "infusionsoft.server"),
    ],
)
def test_sample_values_are_placeholders(value: str, key: str) -> None:
    assert not looks_like_secret(value, key)


@pytest.mark.parametrize(
    "value",
    [
        "AKIAIOSFODNN7EXAMPLF",  # AWS access key id
        "ghp_R8kq2ZtW9xLmN4vB7cY1dF6gH3jK5pQ0sT2u",  # GitHub token
        "xoxb-2837465019-9182736450-Tq8ZkLm2Xw7Rv4Np",  # Slack bot token
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe secret key
        "AIzaSyD8kL2mN4pQ6rS8tU0vW2xY4zA6bC8dE0f",  # Google API key
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",  # a JWT
        "3a9990ff-bf17-40b1-9ce1-e1702e36ab51",  # a UUID API key
        "wvyQdUrNvXbHabxPVcxZV60G0ELMEx3n",  # a random client secret
        "mbqHxMQ0okd24mom1wsj3PMx41JLWpfAtmdtiSN0kWvbYGqpALCc6TldBVZrF92Z",  # a refresh token
        "zyWPKPPPpRxvTol6ERrbm9MQFzcW7+Yj/ntkkchW06S=",  # a user secret
        "4e3127e892099c22a5181492329bd10c",  # a hex organization secret
    ],
)
def test_real_looking_tokens_are_caught(value: str) -> None:
    assert looks_like_secret(value, "token")
    assert not placeholder_shape(value, "token")
