"""Generate a fictional directory in the gateway's CSV format (default: 10,000 contacts in the seven districts).

Every district gets a facilitator and a level-1 duty officer, each region a level-2 coordinator, head office a
level-3 officer (so escalations always have someone to page); the rest are leaders spread over the districts'
communes, with languages and channels in the proportions of the sample directory. Phones are valid, unique
Malian mobile numbers; names are drawn from common Malian given names and family names. Deterministic (seeded).

    python bench/gen_directory.py -o /tmp/directory-10k.csv                  # 10,000 contacts, seven districts
    python bench/gen_directory.py -o /tmp/koro.csv --leaders 10000 --districts KORO   # a district of 10,000 leaders
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

COLUMNS = (
    "name",
    "phone",
    "telegram_id",
    "role",
    "region",
    "district",
    "commune",
    "village",
    "language",
    "channel",
    "escalation_level",
)
# district → (region, communes)
DISTRICTS = {
    "MOPTI": ("Mopti", ("Mopti", "Konna", "Fatoma", "Sio", "Socoura", "Kotaka")),
    "KORO": ("Mopti", ("Koro", "Bondo", "Dinangourou", "Madougou", "Yoro")),
    "BANDIAGARA": ("Mopti", ("Bandiagara", "Dourou", "Kendié", "Sangha", "Wadouba")),
    "BANKASS": ("Mopti", ("Bankass", "Baye", "Diallassagou", "Sokoura", "Ségué")),
    "DJENNE": ("Mopti", ("Djenné", "Fakala", "Niansanarie", "Ouro Ali", "Pondori")),
    "MACINA": ("Ségou", ("Macina", "Folomana", "Kokry", "Monimpébougou", "Saloba")),
    "SEGOU": ("Ségou", ("Ségou", "Dioro", "Markala", "Pelengana", "Sansanding")),
}
GIVEN = (
    "Mamadou Moussa Seydou Djénéba Amadou Aminata Bakary Fatoumata Oumar Hawa Boubacar Kadiatou Ibrahim Mariam "
    "Souleymane Bintou Hamadoun Oumou Aliou Rokia Issa Salimata Abdoulaye Assitan Yacouba Aïchata Adama Fanta "
    "Daouda Kadidia"
).split()
FAMILY = (
    "Dembélé Dicko Togo Bocoum Guindo Ongoïba Traoré Cissé Kané Maïga Diallo Barry Sangaré Coulibaly Diarra "
    "Keïta Konaté Sidibé Sow Tangara Tembely Touré Poudiougou Kassogué"
).split()
MOBILE_PREFIXES = (65, 66, 67, 69, 70, 71, 73, 74, 75, 76, 77, 78, 79, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99)
# (language, channel) weights, as in the sample directory
PROFILES = (
    (("fr", "sms"), 86),
    (("fr", "telegram"), 33),
    (("bm", "sms"), 40),
    (("bm", "telegram"), 6),
    (("ff", "sms"), 25),
    (("ff", "telegram"), 7),
)


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"+223{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**6):06d}"
        if number not in used:
            used.add(number)
            return number


def staff(rng: random.Random, districts: list[str], used: set[str]) -> list[dict]:
    """Facilitator and duty officer per district, a coordinator per region, one head-office officer."""
    rows = []

    def person(role: str, region: str, district: str, commune: str, level: str, channel: str = "sms") -> dict:
        return {
            "name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
            "phone": _phone(rng, used),
            "telegram_id": str(rng.randrange(10**8, 6 * 10**9)),
            "role": role,
            "region": region,
            "district": district,
            "commune": commune,
            "village": "",
            "language": "fr",
            "channel": channel,
            "escalation_level": level,
        }

    for code in districts:
        region, communes = DISTRICTS[code]
        rows.append(person("facilitator", region, code, communes[0], "", "telegram"))
        rows.append(person("officer", region, code, communes[0], "1"))
    for region in sorted({DISTRICTS[code][0] for code in districts}):
        rows.append(person("officer", region, "", "", "2"))
    rows.append(person("officer", "", "", "", "3"))
    return rows


def generate(
    contacts: int = 10_000, districts: list[str] | None = None, leaders: int | None = None, seed: int = 223
) -> list[dict]:
    """The directory's rows: staff first, then `leaders` leaders (default: enough for `contacts` rows in all)."""
    rng, used = random.Random(seed), set()
    districts = districts or list(DISTRICTS)
    rows = staff(rng, districts, used)
    count = leaders if leaders is not None else contacts - len(rows)
    profiles, weights = zip(*PROFILES, strict=True)
    for i in range(count):
        code = districts[i % len(districts)]
        region, communes = DISTRICTS[code]
        commune = rng.choice(communes)
        language, channel = rng.choices(profiles, weights)[0]
        telegram_id = str(rng.randrange(10**8, 6 * 10**9)) if channel == "telegram" else ""
        rows.append(
            {
                "name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                "phone": _phone(rng, used),
                "telegram_id": telegram_id,
                "role": "leader",
                "region": region,
                "district": code,
                "commune": commune,
                "village": commune,
                "language": language,
                "channel": channel,
                "escalation_level": "",
            }
        )
    return rows


def write(rows: list[dict], path: Path) -> Path:
    """Write the rows as the directory CSV (UTF-8, comma separated)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--contacts", type=int, default=10_000, help="total rows, staff included (default 10000)")
    parser.add_argument("--leaders", type=int, help="exact number of leaders instead (staff come on top)")
    parser.add_argument("--districts", default=",".join(DISTRICTS), help="comma-separated district codes")
    parser.add_argument("--seed", type=int, default=223)
    args = parser.parse_args()
    districts = [d.strip().upper() for d in args.districts.split(",") if d.strip()]
    unknown = [d for d in districts if d not in DISTRICTS]
    if unknown:
        sys.exit(f"unknown district(s): {', '.join(unknown)} (known: {', '.join(DISTRICTS)})")
    rows = generate(args.contacts, districts, args.leaders, args.seed)
    write(rows, args.output)
    print(f"{len(rows)} contacts ({sum(r['role'] == 'leader' for r in rows)} leaders) written to {args.output}")


if __name__ == "__main__":
    main()
