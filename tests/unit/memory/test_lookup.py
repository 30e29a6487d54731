from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.ids import make_id
from memory.ingest import ingest
from memory.lookup import find_deals
from tests.factories import T0, org


def _seed_names(
    engine: Engine, names: list[tuple[str, str]], *, prefix: str = "S", first: int = 0
) -> None:
    """Deals ``<prefix><n>`` (numbered from ``first``) with these (account, name) pairs."""
    accounts, deals = {}, []
    for i, (acc, name) in enumerate(names, first):
        acc_id = make_id("account", "acme", acc)
        accounts[acc] = {
            "id": acc_id,
            "org_id": "acme",
            "name": acc,
            "source_id": acc,
            "created_at": T0,
            "recorded_at": T0,
        }
        deals.append(
            {
                "id": make_id("deal", "acme", f"{prefix}{i}"),
                "org_id": "acme",
                "account_id": acc_id,
                "name": name,
                "source_id": f"{prefix}{i}",
                "created_at": T0,
                "recorded_at": T0,
            }
        )
    with session_scope(engine) as s:
        ingest(s, orgs=[org()], accounts=list(accounts.values()), deals=deals)


def _seed(engine: Engine) -> None:
    _seed_names(
        engine,
        [
            ("Acme Corp", "Acme renewal 2026"),
            ("Acme Corp", "Acme fleet expansion"),
            ("Northwind Traders", "Northwind platform"),
        ],
        prefix="D",
        first=1,
    )


@pytest.mark.parametrize(
    "query, first",
    [
        ("the Acme renewal", "D1"),
        ("acme renewl", "D1"),
        ("Northwind", "D3"),
        ("nortwind platfrom", "D3"),
        ("D2", "D2"),
        ("fleet expansion", "D2"),
    ],
)
def test_fuzzy_lookup(sqlite_engine: Engine, query: str, first: str) -> None:
    _seed(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        found = find_deals(s, org_id="acme", query=query)
    assert found and found[0].source_id == first


def test_no_match_and_ambiguity(sqlite_engine: Engine) -> None:
    _seed(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        assert find_deals(s, org_id="acme", query="Globex") == []
        assert len(find_deals(s, org_id="acme", query="Acme")) == 2
        assert find_deals(s, org_id="other", query="Acme") == []


def test_restricted_to_allowed_deals(sqlite_engine: Engine) -> None:
    _seed(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        allowed = {make_id("deal", "acme", "D2")}
        found = find_deals(s, org_id="acme", query="Acme renewal", deal_ids=allowed)
    assert [m.source_id for m in found] == ["D2"] or found == []
    assert all(m.deal_id in allowed for m in found)


def test_words_every_deal_shares_do_not_make_a_match(sqlite_engine: Engine) -> None:
    products = ["Last-Mile Visibility", "Route Optimization", "Fleet Telematics"]
    companies = [
        "Lakeshore Freight Inc.",
        "Rockport Grocers",
        "Union Valley Farms",
        "Glacier Bay Auto",
    ]
    _seed_names(
        sqlite_engine, [(c, f"{c} - {p}") for c in companies for p in products[: 1 + len(c) % 3]]
    )
    with session_scope(sqlite_engine) as s:
        other = "Everest Pharma Distribution Inc. - Last-Mile Visibility"
        assert find_deals(s, org_id="acme", query=other) == []
        found = find_deals(s, org_id="acme", query="status of the lakeshore frieght deal pls")
        assert found and found[0].name.startswith("Lakeshore Freight")
        found = find_deals(s, org_id="acme", query="Rokcport Grocers")
        assert found and all(m.account_name == "Rockport Grocers" for m in found)


def test_a_distinctive_word_the_deal_lacks_is_reported(sqlite_engine: Engine) -> None:
    names = [
        ("Union Valley Couriers", "Union Valley Couriers - Dispatch"),
        ("Union Valley Farms", "Union Valley Farms - Route Optimization"),
        ("Kestrel Farms", "Kestrel Farms - Fleet"),
        ("Evergreen Farms", "Evergreen Farms - Fleet"),
        *[(f"Acme {i}", f"Acme {i} - Renewal") for i in range(6)],
    ]
    _seed_names(sqlite_engine, names)
    couriers = {make_id("deal", "acme", "S0")}
    with session_scope(sqlite_engine) as s:
        # Only the Couriers deal is allowed: it shares "Union Valley" but not "Farms".
        near = find_deals(s, org_id="acme", query="Union Valley Farms", deal_ids=couriers)
        exact = find_deals(s, org_id="acme", query="Union Valley Couriers", deal_ids=couriers)
        # A common word ("renewal") left out is not a different deal.
        sloppy = find_deals(s, org_id="acme", query="Acme 3 renewal")
    assert near and near[0].unmatched == ("farms",)
    assert exact and exact[0].unmatched == ()
    assert sloppy and sloppy[0].name == "Acme 3 - Renewal" and sloppy[0].unmatched == ()
