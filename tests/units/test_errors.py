"""userErrors as both APIs write them: a stable code next to the message and the path."""

from __future__ import annotations

from dtc_api.core.errors import Code, DomainError, UserError, formatted, invalid


def test_formatted_puts_the_operation_first_and_carries_the_code() -> None:
    errors = [
        UserError("invalid e-mail address: x", ("input", "email"), code=Code.INVALID_EMAIL),
        UserError("too many", (), typename="RateLimited", extra={"retryAfter": 60},
                  code=Code.RATE_LIMITED),
    ]
    assert formatted("registerCustomer", errors) == [
        {"__typename": "UserErrorBase", "message": "invalid e-mail address: x",
         "path": ["registerCustomer", "input", "email"], "code": "INVALID_EMAIL"},
        {"__typename": "RateLimited", "message": "too many", "path": ["registerCustomer"],
         "code": "RATE_LIMITED", "retryAfter": 60},
    ]


def test_formatted_nothing() -> None:
    assert formatted("login", ()) == []


def test_the_default_code_is_invalid_input() -> None:
    assert UserError("bad", ("input",)).code == Code.INVALID_INPUT == "INVALID_INPUT"


def test_invalid_raises_one_error_with_its_path() -> None:
    error = invalid("name is too long", "input", "name", code=Code.OUT_OF_RANGE)
    assert isinstance(error, DomainError)
    assert error.errors == (UserError("name is too long", ("input", "name"),
                                      code=Code.OUT_OF_RANGE),)
    assert str(error) == "name is too long"


def test_a_domain_error_joins_its_messages() -> None:
    error = DomainError(UserError("first", ()), UserError("second", ("x",)))
    assert str(error) == "first; second"
    assert [e.message for e in error.errors] == ["first", "second"]


def test_codes_are_their_own_names() -> None:
    codes = {name: value for name, value in vars(Code).items() if name.isupper()}
    assert len(codes) >= 17
    assert all(name == value for name, value in codes.items())
