"""The transfer demo data's texts: English beside each partner city's own language.

Varaždin writes in Croatian, Košice in Slovak, Nardò in Italian. Only what MAGNET's public
material says (the EUI story of the Opening Site Visit in Celje); dates and values that are
demo values say so in every language.
"""

from __future__ import annotations

LANGUAGE = {"varazdin": "hr", "kosice": "sk", "nardo": "it"}

CHALLENGE_NAMES: dict[str, dict[str, str]] = {
    "city-vibe": {
        "en": "City Vibe",
        "hr": "Gradski duh",
        "sk": "Atmosféra mesta",
        "it": "Vivacità urbana",
    },
    "housing": {"en": "Housing", "hr": "Stanovanje", "sk": "Bývanie", "it": "Abitare"},
    "energy-communities": {"en": "Energy communities", "sk": "Energetické komunity"},
    "culture-creativity": {"en": "Creative hubs", "it": "Hub creativi"},
}

PLAN_TITLE = {
    "en": "{city}: transferring Celje's {challenge} practices",
    "hr": "{city}: prijenos praksi iz Celja – {challenge}",
    "sk": "{city}: prenos postupov z Celja – {challenge}",
    "it": "{city}: trasferimento delle pratiche di Celje – {challenge}",
}

MILESTONE_TITLES: dict[str, dict[str, str]] = {
    "osv": {
        "en": "Challenge chosen at the Opening Site Visit in Celje",
        "hr": "Izazov odabran na uvodnom studijskom posjetu u Celju",
        "sk": "Výzva vybraná počas úvodnej študijnej návštevy v Celji",
        "it": "Sfida scelta durante la visita di apertura a Celje",
    },
    "local-plan": {
        "en": "Local adaptation plan agreed (demo date)",
        "hr": "Dogovoren lokalni plan prilagodbe (demo datum)",
        "sk": "Dohodnutý miestny plán prispôsobenia (ukážkový dátum)",
        "it": "Piano locale di adattamento concordato (data dimostrativa)",
    },
}

INDICATOR_TITLE = {
    "en": "Co-creation events with residents (demo values)",
    "hr": "Događanja sukreiranja sa stanovnicima (demo vrijednosti)",
    "sk": "Podujatia spoluvytvárania s obyvateľmi (ukážkové hodnoty)",
    "it": "Eventi di co-creazione con i residenti (valori dimostrativi)",
}

CITY_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "varazdin": {
        "en": "MAGNET's transfer partner from Croatia. At the Opening Site Visit in Celje it "
        "chose to work on the City Vibe and Housing challenges in its own city.",
        "hr": "Partner za prijenos projekta MAGNET iz Hrvatske. Na uvodnom studijskom posjetu "
        "u Celju odlučio je u svom gradu raditi na izazovima Gradski duh i Stanovanje.",
    },
    "kosice": {
        "en": "MAGNET's transfer partner from Slovakia. At the Opening Site Visit in Celje it "
        "chose to work on the City Vibe and Housing challenges in its own city, and will also "
        "explore energy communities.",
        "sk": "Partner pre prenos projektu MAGNET zo Slovenska. Počas úvodnej študijnej "
        "návštevy v Celji sa rozhodol vo svojom meste pracovať na výzvach Atmosféra mesta a "
        "Bývanie a bude skúmať aj energetické komunity.",
    },
    "nardo": {
        "en": "MAGNET's transfer partner from Italy. At the Opening Site Visit in Celje it "
        "chose to work on the City Vibe and Housing challenges in its own city, and will focus "
        "on creative hubs.",
        "it": "Partner di trasferimento di MAGNET dall'Italia. Durante la visita di apertura a "
        "Celje ha scelto di lavorare nella propria città sulle sfide Vivacità urbana e Abitare, "
        "e si concentrerà sugli hub creativi.",
    },
}


def in_languages(city: str, texts: dict[str, str]) -> dict[str, str]:
    """English and the city's own language."""
    return {language: texts[language] for language in ("en", LANGUAGE[city])}


def plan_title(city: str, name: str, challenge: str) -> dict[str, str]:
    names = CHALLENGE_NAMES[challenge]
    return {
        language: PLAN_TITLE[language].format(city=name, challenge=names[language])
        for language in ("en", LANGUAGE[city])
    }
