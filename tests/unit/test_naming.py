"""Names derived from a document's kebab-case, camelCase and free text."""

import keyword

import pytest
from naftiko_gen.naming import (
    class_name,
    dist_name,
    env_name,
    identifier,
    normalized,
    package_name,
    short_attr,
    snake,
    words,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("issue-id", "issue_id"),
        ("issueId", "issue_id"),
        ("Issue ID", "issue_id"),
        ("HTTPServerError", "http_server_error"),
        ("user.v2", "user_v2"),
        ("--", ""),
    ],
)
def test_snake_splits_at_separators_and_camel_humps(name: str, expected: str) -> None:
    assert snake(name) == expected


def test_words_are_lower_case_without_punctuation() -> None:
    assert words("getUser_by-ID (v2)") == ["get", "user", "by", "id", "v2"]


def test_normalized_ignores_case_and_dash_underscore_differences() -> None:
    assert normalized("Issue-Id") == normalized("issue_id")
    assert normalized("issueid") != normalized("issue_id")


def test_identifier_avoids_keywords_digits_and_taken_names() -> None:
    taken: set[str] = set()
    assert identifier("class", taken) == "class_"
    assert identifier("match", taken) == "match_"
    assert identifier("2fa-code", taken) == "n2fa_code"
    assert identifier("", taken) == "value"
    assert identifier("value", taken) == "value_2"
    assert identifier("Value", taken) == "value_3"
    assert taken == {"class_", "match_", "n2fa_code", "value", "value_2", "value_3"}


def test_identifier_avoids_reserved_names_it_is_given() -> None:
    assert identifier("settings", set(), avoid=frozenset({"settings"})) == "settings_"


@pytest.mark.parametrize("name", ["if", "lambda", "None", "async"])
def test_identifier_is_never_a_keyword(name: str) -> None:
    result = identifier(name, set())
    assert result.isidentifier()
    assert not keyword.iskeyword(result)


def test_class_name_is_pascal_case_and_starts_with_a_letter() -> None:
    assert class_name("sentry-integration") == "SentryIntegration"
    assert class_name("3d-printer") == "N3dPrinter"
    assert class_name("") == "Value"


def test_env_name_is_upper_snake_case_and_starts_with_a_letter_or_underscore() -> None:
    assert env_name("sentry-integration.platform") == "SENTRY_INTEGRATION_PLATFORM"
    assert env_name("1password") == "_1PASSWORD"


def test_short_attr_drops_the_package_prefix() -> None:
    assert short_attr("MY_CAP_REST_PORT", "MY_CAP") == "rest_port"
    assert short_attr("MY_CAP", "MY_CAP") == "my_cap"
    assert short_attr("OTHER_TOKEN", "MY_CAP") == "other_token"


def test_dist_name_is_the_pep_503_normal_form_of_the_file_stem() -> None:
    assert dist_name("Zoom_User.v2") == "zoom-user-v2"
    assert dist_name("___") == "capability"


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        ("my-cap", "my_cap"),
        ("2fa", "cap_2fa"),
        ("import", "cap_import"),
        ("numbers", "numbers_capability"),
        ("mcp", "mcp_capability"),
    ],
)
def test_package_name_never_shadows_a_keyword_or_a_module(dist: str, expected: str) -> None:
    assert package_name(dist) == expected
