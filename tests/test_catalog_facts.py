"""`facts.refs_of`: each document's reference worked out column by column is `Facts.ref`."""

from __future__ import annotations

import pytest

from scaffolder.catalog.facts import facts_of, refs_of

DOCUMENTS = [
    {"kind": "Component", "metadata": {"name": "billing"}},
    {"kind": "API", "metadata": {"name": "orders-api", "namespace": "shop"}},
    {"kind": "GROUP", "metadata": {"name": "Payments", "namespace": "Org"}},
    {"metadata": {"name": "kindless"}},  # no kind: "?"
    {"kind": "Component", "metadata": {"namespace": "nameless"}},  # no name: no reference
    {"kind": "Component", "metadata": {"name": 7}},  # a name that is not text
    {"kind": ["Component"], "metadata": {"name": "odd-kind"}},
    {"kind": "Location", "metadata": {"name": "org"}, "spec": {"targets": ["./a.yaml"]}},
    ["not", "a", "mapping"],
    "text",
    {},
]


def test_refs_of_is_the_ref_of_each_document():
    documents = [facts_of(data, line) for line, data in enumerate(DOCUMENTS, 1)]
    assert refs_of(documents) == [facts.ref for facts in documents]
    assert refs_of(documents)[:4] == [
        "component:default/billing",
        "api:shop/orders-api",
        "group:Org/Payments",
        "?:default/kindless",
    ]


def test_refs_of_every_document_named_and_none():
    named = [facts_of({"kind": "Component", "metadata": {"name": f"s{i}"}}, 1) for i in range(3)]
    assert refs_of(named) == [
        "component:default/s0",
        "component:default/s1",
        "component:default/s2",
    ]
    assert refs_of([]) == []


def _keeps():
    from scaffolder.catalog.listing import Filters, _Matcher, _Shown
    from scaffolder.catalog.manage import _Named

    filters = [
        Filters(),
        Filters(kind=("COMPONENT",)),
        Filters(kind=("api", "group"), lifecycle=("production",)),
        Filters(owner=("payments",)),
        Filters(owner=("user:default/ada", "group:other/team")),
        Filters(system=("shop",), type=("Service",)),
    ]
    keeps = [_Shown(_Matcher(f)) for f in filters]
    keeps += [
        _Named(ref)
        for ref in ("component:default/billing", "group:org/payments", "?:default/kindless")
    ]
    return keeps


VARIED = [
    *DOCUMENTS,
    {
        "kind": "Component",
        "metadata": {"name": "svc"},
        "spec": {
            "type": "service",
            "lifecycle": "Production",
            "owner": "payments",
            "system": "shop",
        },
    },
    {
        "kind": "API",
        "metadata": {"name": "a"},
        "spec": {"lifecycle": "production", "owner": "user:ada"},
    },
    {"kind": "Component", "metadata": {"name": "t"}, "spec": {"owner": "group:Other/Team"}},
    {"kind": "Component", "metadata": {"name": "bad"}, "spec": {"owner": "not a ref!!"}},
]


@pytest.mark.parametrize("keep", _keeps(), ids=lambda keep: type(keep).__name__)
def test_a_mask_over_columns_keeps_what_the_keep_keeps(keep):
    """The snapshot decides from columns (`Keep.mask`) what a walk decides from facts."""
    documents = [facts_of(data, line) for line, data in enumerate(VARIED, 1)]
    columns = [list(column) for column in zip(*(facts.row for facts in documents), strict=True)]
    mask = keep.mask([f.is_mapping for f in documents], [f.kind for f in documents], columns)
    assert mask == [keep(facts) for facts in documents]
