"""Fields checked by a pattern take the whole value: a trailing newline (which ``$`` lets through)
or any other extra character fails validation, on every field that has a pattern (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest

from covet.orm import (
    EmailField,
    GenericIPAddressField,
    Model,
    SlugField,
    URLField,
    ValidationError,
)


class Contact(Model):
    email = EmailField(null=True)
    site = URLField(null=True)
    slug = SlugField(null=True)
    label = SlugField(allow_unicode=True, null=True)
    ip = GenericIPAddressField(null=True)

    class Meta:
        table_name = "test_field_patterns_contact"


VALID = {
    "email": "ada@example.org",
    "site": "https://example.org/a?b=c",
    "slug": "a-b_1",
    "label": "héllo-wörld",
}


@pytest.mark.parametrize("field", sorted(VALID))
def test_the_valid_value_passes(field: str) -> None:
    Contact(**{field: VALID[field]}).full_clean()


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\n\n", " ", "\t"])
@pytest.mark.parametrize("field", sorted(VALID))
def test_a_trailing_newline_or_space_fails(field: str, suffix: str) -> None:
    with pytest.raises(ValidationError) as info:
        Contact(**{field: VALID[field] + suffix}).full_clean()
    assert field in info.value.errors


@pytest.mark.parametrize("prefix", ["\n", " "])
@pytest.mark.parametrize("field", sorted(VALID))
def test_a_leading_newline_fails(field: str, prefix: str) -> None:
    with pytest.raises(ValidationError):
        Contact(**{field: prefix + VALID[field]}).full_clean()


@pytest.mark.parametrize("value", ["10.0.0.1\n", " 10.0.0.1", "::1\n"])
def test_an_ip_address_is_stored_in_its_standard_form(value: str) -> None:
    # as Django's, surrounding whitespace is stripped; what is stored is the normalized address
    field: Any = Contact._meta.get_field("ip")
    assert field.prep(value) == value.strip()
    Contact(ip=value).full_clean()


@pytest.mark.parametrize("value", ["10.0.0.1\nx", "10.0.0.1\x00", "10.0.0.1/8"])
def test_an_ip_address_with_more_fails(value: str) -> None:
    with pytest.raises(ValidationError, match="ip"):
        Contact(ip=value).full_clean()


def test_the_default_fields_have_the_same_patterns() -> None:
    for field in (EmailField(), URLField(), SlugField(), SlugField(allow_unicode=True)):
        assert field.validate("a\n") != []
