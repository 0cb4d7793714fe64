"""X-06 (service/domain/declarations.py): confidential fields a process declares, readable by
the named roles only until the release variable is true."""

from __future__ import annotations

import pytest

from service.domain.declarations import DataPolicy, parse_declarations


def test_x06_confidential_fields_are_declared_with_their_readers_and_release():
    declared = parse_declarations(
        {
            "xuanpin:confidentialFields": "tiku, chouti_jilu",
            "xuanpin:confidentialRoles": "命题人",
            "xuanpin:confidentialUntil": "tiku_qiyong",
        }
    )
    policy = declared.data_policy
    assert policy is not None and policy.personal_fields == frozenset()
    assert policy.confidential_fields == {"tiku", "chouti_jilu"} and policy.confidential_roles == {"命题人"}
    assert DataPolicy.from_json(policy.as_json()) == policy
    assert not policy.released({"tiku": ["题"]}) and not policy.released({"tiku_qiyong": False})
    assert policy.released({"tiku_qiyong": True})


@pytest.mark.parametrize(
    "properties",
    [
        {"xuanpin:confidentialRoles": "命题人"},
        {"xuanpin:confidentialUntil": "tiku_qiyong"},
        {"xuanpin:confidentialFields": "tiku", "xuanpin:confidentialUntil": "not a name"},
    ],
)
def test_x06_an_incomplete_confidentiality_declaration_is_refused(properties):
    with pytest.raises(ValueError):
        parse_declarations(properties)
