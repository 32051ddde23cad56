"""The demo programme: RealLife Learning Labs with their Local Alliance partners, and events.

Drawn from the EUI story of the Opening Site Visit in Celje: the Local Alliance (the City
Municipality of Celje, the Business Incubator of the Savinjska Region, Real Estate Celje, the
Youth Centre, ETRA, the Institute for Economic Democracy, and from Ljubljana the University's
Institute for Innovation and Development, Poligon and IPoP), and the challenges Celje works
on: housing, economic development, and vibrant public spaces. Each lab lists the partners
whose own words in the story match its challenge. Phase dates, the upcoming events, their
times and places are demo values, and their descriptions say so.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.seeding import seed_id

TIMEZONE = "Europe/Ljubljana"
LJUBLJANA = ZoneInfo(TIMEZONE)
MUNICIPALITY = "City Municipality of Celje"

PHASE_TITLES = {
    "discover": {"sl": "Raziskovanje", "en": "Discover"},
    "co-create": {"sl": "Soustvarjanje", "en": "Co-create"},
    "prototype": {"sl": "Prototipiranje", "en": "Prototype"},
    "test": {"sl": "Preizkušanje", "en": "Test"},
}
PHASE_DATES = [
    ("discover", date(2025, 10, 1), date(2026, 2, 28)),
    ("co-create", date(2026, 3, 1), date(2026, 12, 31)),
    ("prototype", date(2027, 1, 1), date(2027, 6, 30)),
    ("test", date(2027, 7, 1), date(2027, 12, 31)),
]
CURRENT_PHASE = "co-create"
METHODS = [
    seed_id("entry", "reallife-learning-labs"),
    seed_id("entry", "magnet-hub-co-creation-model"),
]

LABS: list[dict[str, Any]] = [
    {
        "slug": "city-vibe-lab",
        "title": {"sl": "Laboratorij Utrip mesta", "en": "City Vibe lab"},
        "description": {
            "sl": "Živahni javni prostori, ki ljudi vseh generacij vabijo v skupnostno življenje. "
            "Za Mladinski center Celje inovacija pomeni participacijo: mladim pomagati odkriti, "
            "da so njihove ideje pomembne. Mini središče v Preboldu je namenjeno predvsem mladim "
            "in odprto za prebivalce, dejavne v Medgeneracijskem centru Prebold.",
            "en": "Vibrant public spaces that keep people of all ages engaged in community life. "
            "At the Youth Centre, innovation means participation: helping young people discover "
            "that their ideas matter. The MiniHub in Prebold primarily engages young people and "
            "welcomes residents active in the Prebold Intergenerational Centre.",
        },
        "challenge": "city-vibe",
        "hub": "magnet-hub-celje",
        "partners": [
            MUNICIPALITY,
            "Youth Centre Celje",
            "Poligon Institute for the Development of Creative Industries",
            "Municipality of Prebold",
        ],
        "methods": METHODS,
    },
    {
        "slug": "housing-lab",
        "title": {"sl": "Stanovanjski laboratorij", "en": "Housing lab"},
        "description": {
            "sl": "Dostopna, trajnostna in skupnostno naravnana stanovanja v Celju. Za "
            "Nepremičnine Celje inovacija pomeni na novo premisliti stanovanja: da so dostopna, "
            "trajnostna in namenjena skupnosti.",
            "en": "Affordable, sustainable and community-focused housing in Celje. For Real Estate "
            "Celje, innovation is about rethinking housing: making it affordable, sustainable and "
            "community-focused.",
        },
        "challenge": "housing",
        "hub": "magnet-hub-celje",
        "partners": [
            MUNICIPALITY,
            "Real Estate Celje",
            "IPoP – Institute for Spatial Policies",
            "Institute for Innovation and Development of the University of Ljubljana",
        ],
        "methods": METHODS[:1],
    },
    {
        "slug": "industry-4-0-lab",
        "title": {"sl": "Laboratorij Industrija 4.0", "en": "Industry 4.0 lab"},
        "description": {
            "sl": "Kakovostna delovna mesta in prenos znanja v industriji 4.0. Podjetniški "
            "inkubator Savinjske regije podjetnikom pomaga razvijati nove izdelke, preizkušati "
            "ideje in priti na mednarodne trge; v družinskem podjetju ETRA za robotiko in "
            "avtomatizacijo se tehnologija sreča s tradicijo; Inštitut za ekonomsko demokracijo "
            "z delavskim lastništvom gradi pravičnejše in odpornejše lokalno gospodarstvo.",
            "en": "Quality jobs and knowledge transfer in industry 4.0. The Business Incubator of "
            "the Savinjska Region helps entrepreneurs imagine new products, test ideas and reach "
            "international markets; at ETRA, a family-run business in robotics and automation, "
            "technology meets tradition; the Institute for Economic Democracy works on employee "
            "ownership for a fairer, more resilient local economy.",
        },
        "challenge": "industry-4-0",
        "hub": "magnet-hub-celje",
        "partners": [
            MUNICIPALITY,
            "Business Incubator of the Savinjska Region",
            "ETRA",
            "Institute for Economic Democracy",
        ],
        "methods": METHODS[:1],
    },
]


def _local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LJUBLJANA)


DEMO_SL = " Demo dogodek: čas in kraj sta zgled."
DEMO_EN = " A demo event: its time and place are examples."

# (slug, title, description, lab, (hub, space) or address, starts, ends, capacity)
EVENTS: list[
    tuple[str, dict[str, str], dict[str, str], str | None, Any, datetime, datetime, int]
] = [
    (
        "opening-site-visit",
        {
            "sl": "Uvodni študijski obisk",
            "en": "Opening Site Visit",
            "hr": "Uvodni studijski posjet",
            "sk": "Úvodná študijná návšteva",
            "it": "Visita di apertura",
        },
        {
            "sl": "Celje je gostilo uvodni obisk: partnerji za prenos iz Hrvaške, Italije in "
            "Slovaške so od blizu videli napredek lokalnega zavezništva in njegove urbane izzive. "
            "Vsi trije so izbrali izziva utrip mesta in stanovanja; Košice bodo raziskovale tudi "
            "energetske skupnosti, Nardò pa se bo osredotočil na ustvarjalna središča.",
            "en": "Celje hosted the Opening Site Visit: the Transfer Partners from Croatia, Italy "
            "and Slovakia saw first-hand the local alliance showcase its progress and urban "
            "challenges. All three chose the City Vibe and Housing challenges; Košice will also "
            "explore energy communities, and Nardò will focus on creative hubs.",
            "hr": "Celje je ugostilo uvodni studijski posjet: partneri za prijenos iz Hrvatske, "
            "Italije i Slovačke izbliza su vidjeli napredak lokalnog saveza i njegove urbane "
            "izazove te odabrali izazove Gradski duh i Stanovanje.",
            "sk": "Celje hostilo úvodnú študijnú návštevu: partneri pre prenos z Chorvátska, "
            "Talianska a Slovenska zblízka videli pokrok miestnej aliancie a jej mestské výzvy a "
            "vybrali si výzvy Atmosféra mesta a Bývanie.",
            "it": "Celje ha ospitato la visita di apertura: i partner di trasferimento da Croazia, "
            "Italia e Slovacchia hanno visto da vicino i progressi dell'alleanza locale e le sue "
            "sfide urbane, e hanno scelto le sfide Vivacità urbana e Abitare.",
        },
        "city-vibe-lab",
        "Youth Centre Celje, Celje",
        _local(2025, 10, 15, 9),
        _local(2025, 10, 15, 17),
        60,
    ),
    (
        "mapping-public-spaces",
        {"sl": "Kartiranje javnih prostorov z mladimi", "en": "Mapping public spaces with youth"},
        {
            "sl": "Delavnica laboratorija Utrip mesta v mini središču v Preboldu, ki je namenjeno "
            "predvsem mladim: kateri javni prostori jih vabijo v življenje skupnosti." + DEMO_SL,
            "en": "A City Vibe lab workshop at the MiniHub in Prebold, which primarily engages "
            "young people: which public spaces draw them into community life." + DEMO_EN,
        },
        "city-vibe-lab",
        ("minihub-prebold", "youth-room"),
        _local(2026, 12, 5, 9, 30),
        _local(2026, 12, 5, 12, 30),
        20,
    ),
    (
        "housing-co-creation-workshop",
        {"sl": "Soustvarjalna delavnica o bivanju", "en": "Housing co-creation workshop"},
        {
            "sl": "Delavnica Stanovanjskega laboratorija v središču MAGNET: dostopna, trajnostna "
            "in skupnosti namenjena stanovanja v Celju." + DEMO_SL,
            "en": "A Housing lab workshop at the MAGNET Hub: affordable, sustainable and "
            "community-focused housing in Celje." + DEMO_EN,
        },
        "housing-lab",
        ("magnet-hub-celje", "co-creation-room"),
        _local(2026, 12, 10, 16),
        _local(2026, 12, 10, 19),
        30,
    ),
    (
        "intergenerational-prototyping-evening",
        {"sl": "Medgeneracijski večer prototipov", "en": "Intergenerational prototyping evening"},
        {
            "sl": "Ljudje vseh generacij v delavnici za prototipe središča MAGNET skupaj "
            "preizkušajo ideje za živahne javne prostore." + DEMO_SL,
            "en": "People of all generations try out ideas for vibrant public spaces together in "
            "the MAGNET Hub's prototyping workshop." + DEMO_EN,
        },
        "city-vibe-lab",
        ("magnet-hub-celje", "prototyping-workshop"),
        _local(2027, 1, 14, 17),
        _local(2027, 1, 14, 19, 30),
        12,
    ),
]
