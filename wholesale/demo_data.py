"""The demo roastery's data: its coffees, sizes, shipping options and customers, as ``demo.seed`` loads them.

Tables, one record a line (the formatter would spread each over several).
"""

from __future__ import annotations

from datetime import time

# fmt: off
SIZES = (("340", "340 g (12 oz)", 340), ("907", "907 g (2 lb)", 907), ("2268", "2268 g (5 lb)", 2268))

# name, SKU prefix, roast loss %, prices for 340 g / 907 g / 2268 g (None: not sold in that size), description
COFFEES = [
    ("Hillside House Espresso", "HSE", "15.0", ("11.50", "27.00", "62.50"),
     "Our house blend for milk drinks: milk chocolate, toasted almond, dried cherry."),
    ("Morning Ridge Blend", "MRB", "14.0", ("10.75", "25.00", "57.50"),
     "Drip and batch-brew blend: brown sugar, orange peel, hazelnut."),
    ("Ethiopia Guji Natural", "ETH", "16.5", ("14.25", "35.50", None),
     "Hambela, natural process: blueberry, jasmine, cocoa nib."),
    ("Colombia Huila Washed", "COL", "14.5", ("12.50", "30.00", "69.00"),
     "Smallholders around Pitalito: red apple, panela, round body."),
    ("Guatemala Huehuetenango", "GUA", "15.0", ("12.75", "30.50", "70.00"),
     "High-grown washed lot: cocoa, plum, a clean finish."),
    ("Sumatra Mandheling", "SUM", "17.5", ("12.25", "29.00", None),
     "Wet-hulled: cedar, dark chocolate, heavy body."),
    ("Brazil Cerrado Pulped Natural", "BRA", "13.5", (None, "23.50", "54.00"),
     "Peanut, cocoa and low acidity: our espresso base and a favourite for cold brew."),
    ("Swiss Water Decaf Colombia", "DEC", "16.0", ("12.75", "31.00", "72.50"),
     "Decaffeinated with water only: caramel, red apple, no compromise."),
    ("Kenya Kirinyaga AA", "KEN", "15.5", ("15.50", "38.00", None),
     "Seasonal lot, sold out: blackcurrant, grapefruit, juicy."),
]
# name, [(SKU, variant name, net weight g, price)], description
OTHERS = [
    ("Cold Brew Filter Packs", [("CB-12", "Case of 12 × 120 g", 1440, "36.00"),
                                ("CB-24", "Case of 24 × 120 g", 2880, "68.00")],
     "Ground Brazil Cerrado in filter bags: one pack makes 2 L of concentrate overnight."),
    ("Unbleached Cone Filters #4", [("FLT-500", "Box of 500", 900, "14.00")],
     "Oxygen-whitened paper filters for cone brewers."),
]
# Every coffee is offered in these grinds, the first by default; a café orders whole bean and grinds it itself.
GRINDS = ("Whole bean", "Espresso", "Filter", "Cafetière")
# Customers without a grinder of their own: their coffee comes ground this way (others get the default).
GROUND_FOR = {"Fernwood Design Studio": "Filter", "Parallel Labs (New York office)": "Filter",
              "Saltbox Deli & Provisions": "Cafetière"}
RETIRED_PRODUCTS = {"Kenya Kirinyaga AA": 24}  # name: retired this many days ago
RETIRED_SKUS = {"COL-2268": 40}

# name, fee, delivery weekdays (Monday=0), orders close (days before, at), roasted (days before)
SHIPPING = [
    ("Roastery van (Tue/Fri)", "0.00", (1, 4), 2, time(17, 0), 1),
    ("Courier", "12.00", (1, 2, 3, 4), 1, time(12, 0), 1),
    ("Pickup at roastery", "0.00", (0, 1, 2, 3, 4), 1, time(17, 0), 1),
]
VAN, COURIER, PICKUP = (spec[0] for spec in SHIPPING)

LA = (6, time(2, 0), "America/Los_Angeles")  # Sunday 02:00, the default
# name, address, shipping, discount %, reminder (None: off), contacts (name, email, receives reminders),
# usual basket {SKU: quantity}, negotiated prices {SKU: price}, odds of ordering in a given week, notes
CUSTOMERS = [
    ("Blue Door Café", "2130 SE Division St\nPortland, OR 97202", VAN, "5", LA,
     [("Maya Okafor", "maya@bluedoorcafe.example", True), ("Theo Brandt", "theo@bluedoorcafe.example", True)],
     {"HSE-2268": 2, "ETH-340": 4, "DEC-907": 1}, {}, 0.9, "Back door on the alley; ring twice."),
    ("Juniper & Rye Bakery", "815 N Killingsworth St\nPortland, OR 97217", VAN, "0", LA,
     [("Rosa Delgado", "rosa@juniperandrye.example", True), ("Eli Moss", "eli@juniperandrye.example", True)],
     {"MRB-907": 3, "HSE-907": 2, "CB-12": 1}, {"MRB-907": "23.50"}, 0.85, ""),
    ("Northside Grocery Co-op", "4420 N Interstate Ave\nPortland, OR 97217", VAN, "10", LA,
     [("Dev Patel", "dev.patel@northsidecoop.example", True),
      ("Receiving desk", "receiving@northsidecoop.example", False),
      ("Aimee Laurent", "aimee@northsidecoop.example", True)],
     {"MRB-340": 12, "ETH-340": 6, "COL-340": 6, "DEC-340": 4, "SUM-340": 4, "KEN-340": 4},
     {"MRB-340": "9.75"}, 0.85, "Retail shelf; net 30 invoice."),
    ("Lanternfish Coffee Bar", "1509 NW 23rd Ave\nPortland, OR 97210", VAN, "0", LA,
     [("Jonah Reyes", "jonah@lanternfish.example", True), ("Priya Shah", "priya@lanternfish.example", True)],
     {"HSE-2268": 4, "BRA-2268": 1, "GUA-907": 2, "KEN-907": 1},
     {"HSE-2268": "58.00", "BRA-2268": "50.00"}, 0.95, "Our biggest café account."),
    ("Fernwood Design Studio", "1120 SW 5th Ave, Suite 800\nPortland, OR 97204", COURIER, "0", LA,
     [("Hannah Cole", "office@fernwood.example", True), ("Raj Menon", "raj@fernwood.example", False)],
     {"MRB-907": 2, "DEC-340": 1}, {}, 0.75, "Office kitchen; deliver to reception."),
    ("Tidewater Books & Coffee", "3314 SE Belmont St\nPortland, OR 97214", PICKUP, "0", LA,
     [("Iris Nakamura", "iris@tidewaterbooks.example", True)],
     {"HSE-907": 2, "COL-907": 1}, {}, 0.7, "Picks up Friday afternoons."),
    ("Little Owl Kitchen", "2901 NE Alberta St\nPortland, OR 97211", VAN, "2.5", LA,
     [("Marco Bellini", "chef@littleowlkitchen.example", True),
      ("Jess Park", "jess@littleowlkitchen.example", False)],
     {"MRB-2268": 1, "DEC-907": 1, "HSE-907": 1}, {}, 0.85, "Brunch only; closed Mondays."),
    ("Basecamp Climbing Gym", "1405 SE Stark St\nPortland, OR 97214", VAN, "0", LA,
     [("Lee Thompson", "frontdesk@basecampclimbing.example", True),
      ("Ana Ruiz", "cafe@basecampclimbing.example", True)],
     {"MRB-907": 2, "HSE-907": 1, "CB-12": 1}, {}, 0.8, ""),
    ("Saltbox Deli & Provisions", "214 Oak St\nHood River, OR 97031", COURIER, "0", LA,
     [("Nora Whitfield", "nora@saltboxdeli.example", True),
      ("Ben Whitfield", "ben@saltboxdeli.example", True)],
     {"GUA-340": 3, "MRB-340": 3, "SUM-340": 2}, {}, 0.75, ""),
    ("Parallel Labs (New York office)", "55 Water St, Floor 12\nBrooklyn, NY 11201", COURIER, "5",
     (6, time(6, 0), "America/New_York"),
     [("Dana Kim", "dana.kim@parallel-labs.example", True),
      ("Facilities", "facilities@parallel-labs.example", True),
      ("Chris Ode", "chris.ode@parallel-labs.example", False)],
     {"ETH-907": 2, "COL-907": 2, "DEC-907": 1, "FLT-500": 1}, {"ETH-907": "33.00"}, 0.8, ""),
    ("High Desert Bagel Co.", "1010 W Main St\nBoise, ID 83702", COURIER, "0",
     (0, time(7, 0), "America/Boise"),
     [("Luis Romero", "luis@highdesertbagel.example", True)],
     {"MRB-2268": 1, "BRA-907": 2}, {}, 0.8, ""),
    ("Morning Glory Diner", "7400 SE Foster Rd\nPortland, OR 97206", VAN, "0", None,
     [("Gloria Hayes", "gloria@morningglorydiner.example", False)],
     {"MRB-2268": 2, "DEC-340": 2}, {}, 0.9, "Orders by phone on Mondays; no reminder emails."),
]
PHONE_ORDERS = {"Morning Glory Diner"}  # always entered by staff
ORDERING_NOW = {"Blue Door Café", "Northside Grocery Co-op", "Lanternfish Coffee Bar", "Little Owl Kitchen",
                "Parallel Labs (New York office)"}  # have a pending order this week
EXTRAS = ["ETH-340", "DEC-340", "CB-12", "GUA-340", "COL-907", "SUM-340", "BRA-907"]
NOTES = ["Please leave at the back door.", "Can this come Friday?", "Extra bag for a staff training day.",
         "Grind one bag for batch brew, please."]
# fmt: on
