"""Importers: CRM exports (generic CSV + mapping, Salesforce, HubSpot) and activity files.

Every importer works inside the caller's session and returns an :class:`ImportReport`;
:func:`run_import` runs one in a single transaction so an import lands whole or not at
all. Re-importing the same data writes nothing (deterministic source ids).
"""

from memory.importers.activities import import_activities
from memory.importers.activity_files import Defaults as ActivityDefaults
from memory.importers.csv_mapped import import_csv
from memory.importers.hubspot import HUBSPOT_MAPPING, hubspot_mapping, import_hubspot
from memory.importers.mapping import ImportMapping, build_mapping, load_mapping
from memory.importers.report import ImportFailed, ImportReport, RowError
from memory.importers.run import run_import
from memory.importers.salesforce import SALESFORCE_MAPPING, import_salesforce, salesforce_mapping

__all__ = [
    "HUBSPOT_MAPPING",
    "SALESFORCE_MAPPING",
    "ActivityDefaults",
    "ImportFailed",
    "ImportMapping",
    "ImportReport",
    "RowError",
    "build_mapping",
    "hubspot_mapping",
    "import_activities",
    "import_csv",
    "import_hubspot",
    "import_salesforce",
    "load_mapping",
    "run_import",
    "salesforce_mapping",
]
