from __future__ import annotations

from pathlib import Path

import pytest

from memory.importers.hubspot import HUBSPOT_MAPPING
from memory.importers.mapping import load_mapping
from memory.importers.report import ImportFailed
from memory.importers.salesforce import SALESFORCE_MAPPING, salesforce_mapping


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_mapping_loads(examples: Path) -> None:
    mapping = load_mapping(examples / "deals_mapping.toml")
    assert mapping.columns.deal_id == "Opportunity ID"
    assert mapping.stages["Discovery Call"] == "discovery"
    assert mapping.custom_field("Seats").type == "number"
    assert mapping.custom_field("Lead Source").field == "lead_source"
    assert mapping.zone.key == "Europe/Paris"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[columns]\nname = 'Name'\n", "columns.deal_id"),
        ("colour = 'red'\n[columns]\ndeal_id = 'Id'\n", "colour"),
        ("timezone = 'Mars/Base'\n[columns]\ndeal_id = 'Id'\n", "unknown time zone"),
        ("[columns]\ndeal_id = 'Id'\n[forecast_categories]\nUp = 'maybe'\n", "maybe"),
        ("[columns]\ndeal_id = 'Id'\n[custom_fields]\nStage2 = 'stage'\n", "core deal field"),
        ("[columns]\ndeal_id = 'Id'\n[status_values]\nDone = 'finished'\n", "status_values"),
        ("[columns\ndeal_id = 'Id'\n", "invalid TOML"),
    ],
)
def test_invalid_mappings_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ImportFailed, match=message) as info:
        load_mapping(_toml(tmp_path, text))
    assert info.value.file == "map.toml"


def test_user_mapping_extends_the_salesforce_preset(tmp_path: Path) -> None:
    path = _toml(
        tmp_path,
        "[stages]\n'Discovery' = 'discovery'\n[custom_fields]\n'Seats__c' = {field = 'seats', type = 'number'}\n",
    )
    mapping = salesforce_mapping(path)
    assert mapping.stages["Discovery"] == "discovery"
    assert mapping.stages["Closed Won"] == "closed_won"  # preset entries kept
    assert mapping.columns.deal_id == SALESFORCE_MAPPING.columns.deal_id
    assert mapping.custom_field("Seats__c").type == "number"


def test_presets_cover_the_documented_labels() -> None:
    assert set(SALESFORCE_MAPPING.stages) >= {
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    }
    assert set(HUBSPOT_MAPPING.stages) == {
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    }
