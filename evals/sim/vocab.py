"""Fixed vocabularies of the simulated world: names, companies, titles, competitors, products.

Pure data. Competitor names are fictional; our own company (the seller) is
``SELLER_COMPANY`` and never appears as a competitor.
"""

from __future__ import annotations

SELLER_COMPANY = "Keelson Logistics Software"
SELLER_SHORT = "Keelson"
SELLER_DOMAIN = "keelson.io"

COMPETITORS: tuple[str, ...] = ("RouteSmart", "Fleetly", "LoadLogic", "TransitPro", "in-house")
"""Canonical competitor strings as they appear in truth; ``in-house`` = building it themselves."""
INCUMBENT = "TransitPro"
KEY_COMPETITOR = "RouteSmart"
"""The competitor that is beaten only when value is framed around cost savings."""

FIRST_NAMES: tuple[str, ...] = (
    "Maria", "Dana", "Priya", "James", "Olivia", "Noah", "Aisha", "Liam", "Sofia", "Mateo",
    "Hannah", "Wei", "Fatima", "Lucas", "Emma", "Kwame", "Yuki", "Isabel", "Omar", "Grace",
    "Ethan", "Chloe", "Ravi", "Nora", "Diego", "Leah", "Samuel", "Zara", "Daniel", "Mei", "Aaron",
    "Elena", "Tariq", "Ingrid", "Marcus", "Anika", "Felix", "Rosa", "Jonah", "Amara", "Victor",
    "Lena", "Hiroshi", "Camila", "Patrick", "Sana", "Erik", "Julia", "Kofi", "Aino", "Mikko",
    "Helena", "Andre", "Tessa", "Rahul", "Clara", "Owen", "Nadia", "Gabriel", "Ines", "Connor",
    "Layla", "Tomasz", "Freya", "Arjun", "Beatriz", "Simon", "Keiko", "Malik", "Elise", "Caleb",
    "Yara", "Stefan", "Lucia", "Dev", "Harriet", "Adebayo", "Sienna", "Pavel", "Greta", "Nathan",
    "Ayesha", "Bruno", "Linnea", "Kenji", "Rebecca", "Hassan", "Martina", "Colin", "Paula",
    "Jamal", "Eva", "Rory", "Mira", "Joaquin", "Astrid", "Desmond", "Lina", "Trevor",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Chen", "Whitfield", "Nair", "Okafor", "Garcia", "Kowalski", "Haddad", "Lindqvist", "Murphy",
    "Tanaka", "Schmidt", "Adeyemi", "Rossi", "Virtanen", "Patel", "Dubois", "Novak", "Brennan",
    "Santos", "Kim", "Jensen", "Mensah", "Ortiz", "Fischer", "Kaur", "Andersson", "Walsh",
    "Moreau", "Silva", "Yamamoto", "Hughes", "Abbasi", "Korhonen", "Romero", "Baker", "Osei",
    "Weber", "Costa", "Nguyen", "Larsen", "Reyes", "Sato", "Byrne", "Mendes", "Farouk", "Holm",
    "Ivanova", "Clarke", "Duarte", "Lehtonen", "Pereira", "Grant", "Iyer", "Bauer", "Ferreira",
    "Quinn", "Kapoor", "Sorensen", "Ahmed", "Lindgren", "Carter", "Mwangi", "Horvat", "Ellis",
    "Takahashi", "Nieminen", "Varga", "Morgan", "Banerjee", "Keller", "Lopez", "Ward", "Petrov",
    "Hansen", "Oyelaran", "Fitzgerald", "Marino", "Berg", "Dhillon", "Stewart", "Zhou", "Hale",
)  # fmt: skip

SELLER_FIRST = frozenset(FIRST_NAMES[::3])
SELLER_LAST = frozenset(LAST_NAMES[::2])
"""Seller names are drawn from these; no buyer has both a seller first and last name."""

COMPANY_HEADS: tuple[str, ...] = (
    "Northwind", "Bluewater", "Cedar Ridge", "Harborline", "Summit", "Ironclad", "Meridian",
    "Granite Peak", "Pioneer", "Redwood", "Silverline", "Brightpath", "Coastal", "Evergreen",
    "Falcon", "Golden Gate", "Highland", "Keystone", "Lakeshore", "Maple Leaf", "Oakmont",
    "Pinnacle", "Riverbend", "Sunrise", "Trident", "Union Valley", "Vantage", "Westbrook", "Atlas",
    "Beacon", "Crescent", "Delta Plains", "Everest", "Frontier", "Greenfield", "Horizon",
    "Juniper", "Kestrel", "Lighthouse", "Monarch", "Nordic", "Orchard", "Prairie", "Quarry",
    "Rockport", "Sequoia", "Tidewater", "Upland", "Vista", "Wolfpine", "Arctic Fox", "Baltic",
    "Copperfield", "Driftwood", "Emberly", "Foxglove", "Glacier Bay", "Hawthorne",
)  # fmt: skip
COMPANY_TAILS: tuple[str, ...] = (
    "Freight", "Logistics", "Distribution", "Foods", "Supply", "Transport", "Wholesale",
    "Building Supply", "Beverages", "Medical Supply", "Cold Chain", "Parcel", "Home Goods",
    "Auto Parts", "Grocers", "Pharma Distribution", "Furniture", "Paper", "Farms", "Couriers",
)  # fmt: skip
COMPANY_FORMS: tuple[str, ...] = ("", " Inc.", " Group", " Ltd", " & Co.", " Oy", " GmbH")
CITIES: tuple[str, ...] = (
    "Ohio", "Leeds", "Tampere", "Denver", "Lyon", "Porto", "Austin", "Gdansk", "Bristol", "Malmo",
)  # fmt: skip

INDUSTRIES: tuple[str, ...] = (
    "food_distribution", "retail", "manufacturing", "healthcare_supply", "building_materials",
    "third_party_logistics", "beverages", "automotive_parts",
)  # fmt: skip
REGIONS: tuple[str, ...] = ("north_america", "emea", "nordics")
SEGMENTS: tuple[str, ...] = ("smb", "mid", "enterprise")
LEAD_SOURCES: tuple[str, ...] = ("inbound", "outbound", "partner", "event")
PRODUCT_LINES: dict[str, str] = {
    "route_optimization": "Route Optimization",
    "fleet_telematics": "Fleet Telematics",
    "dispatch_automation": "Dispatch Automation",
    "last_mile_visibility": "Last-Mile Visibility",
}

# Buyer titles by seniority, each with a functional role used for stakeholder truth.
EB_TITLES: tuple[str, ...] = ("CFO", "VP Finance", "COO", "Chief Financial Officer")
EXEC_TITLES: tuple[str, ...] = (
    "VP Operations", "VP Supply Chain", "COO", "SVP Logistics", "Chief Operating Officer",
    "General Manager",
)  # fmt: skip
DIRECTOR_TITLES: tuple[str, ...] = (
    "Director of IT", "Director of Transportation", "Head of Logistics", "Director of Operations",
    "Head of Procurement", "Director of Distribution",
)  # fmt: skip
MANAGER_TITLES: tuple[str, ...] = (
    "Procurement Manager", "Fleet Manager", "Transportation Manager", "Operations Manager",
    "IT Manager", "Dispatch Manager", "Warehouse Manager",
)  # fmt: skip
IC_TITLES: tuple[str, ...] = (
    "Logistics Analyst", "Senior Planner", "Business Analyst", "Dispatcher", "Routing Specialist",
    "Solutions Architect", "Analyst",
)  # fmt: skip

SELLER_TITLES = {"rep": "Account Executive", "manager": "Sales Director"}
SOLUTION_ENGINEERS: tuple[tuple[str, str], ...] = (
    ("Sam Okonkwo", "Solutions Engineer"),
    ("Petra Lind", "Solutions Engineer"),
    ("Diego Marsh", "Senior Solutions Engineer"),
)
TIMEZONES: tuple[str, ...] = (
    "America/New_York",
    "Europe/London",
    "Europe/Helsinki",
    "America/Chicago",
    "America/New_York",
)
TZ_LABELS: dict[str, str] = {
    "America/New_York": "ET",
    "America/Chicago": "CT",
    "Europe/London": "UK time",
    "Europe/Helsinki": "Helsinki time",
}
EVENTS: tuple[str, ...] = (
    "Fleet Forward conference",
    "LogiTech Summit",
    "Nordic Logistics Expo",
    "Supply Chain Live",
)
PARTNERS: tuple[str, ...] = ("Carrier Connect", "NorthBridge Consulting", "Depot Partners")
TEAM_NAMES: tuple[str, ...] = ("Atlas", "Borealis", "Cascade", "Dunmore", "Everline")


def functional_role(title: str) -> str:
    """Return the buyer stakeholder role implied by a title (no signal of its own)."""
    lowered = title.lower()
    if " it" in f" {lowered}" or "information" in lowered or "architect" in lowered:
        return "technical_evaluator"
    if "procurement" in lowered or "purchasing" in lowered:
        return "procurement"
    if lowered in {"cfo", "vp finance", "chief financial officer"}:
        return "finance"
    if any(word in lowered for word in ("analyst", "planner", "dispatcher", "specialist")):
        return "end_user"
    if "manager" in lowered and "general" not in lowered:
        return "end_user"
    return "influencer"
