"""Published catalog entries drawn from MAGNET's public material (texts in /shared/seeds).

Only what those sources say, summarised: the SLBRA member note of 23 February 2026 on the
European Commission presenting MAGNET, the EUI story of the Opening Site Visit in Celje,
and the URBACT Slovenia page listing good practices and networks. Slugs are fixed: other
services link to these entries by `seed_id("entry", slug)`. Celje writes in Slovenian and
English; the story of the Opening Site Visit and the practices the partner cities transfer
also carry their title and summary in Croatian, Slovak and Italian, as a transfer would.
"""

from __future__ import annotations

from typing import Any

PUBLISHED_AT = "2026-02-23T09:00:00+00:00"
SOURCE_SLBRA = (
    "Vir: Slovensko gospodarsko in raziskovalno združenje, Bruselj, informacija članom "
    "29 – 2026 (23. februar 2026)."
)
SOURCE_SLBRA_EN = (
    "Source: Slovenian Business & Research Association, Brussels, member information "
    "29 – 2026 (23 February 2026)."
)
URBACT_SL = (
    "Program URBACT povezuje mesta, podpira omrežja med njimi, učenje iz izkušenj drugih in "
    "prenos dobrih praks za boljše urbane politike. V Sloveniji nalogo nacionalne točke URBACT "
    "opravlja IPoP – Inštitut za politike prostora."
)
URBACT_EN = (
    "The URBACT programme connects cities and supports networks between them, learning from "
    "each other's experience and the transfer of good practices to improve urban policies. In "
    "Slovenia, IPoP – Institute for Spatial Policies acts as the National URBACT Point."
)

ENTRIES: list[dict[str, Any]] = [
    {
        "slug": "reallife-learning-labs",
        "kind": "method",
        "title": {
            "sl": "Učni laboratoriji za realno življenje (RealLife Learning Labs)",
            "en": "RealLife Learning Labs",
        },
        "summary": {
            "sl": "Participativni procesi, v katerih prebivalci in partnerji skupaj rešujejo "
            "konkretne urbane izzive Celja.",
            "en": "Participatory processes in which residents and partners work together on "
            "concrete urban challenges in Celje.",
        },
        "body": {
            "sl": "Učni laboratoriji za realno življenje (RLLL) so prvi del tridelnega modela "
            "projekta MAGNET, s katerim Celje želi postati mesto, kjer se ljudje vseh generacij "
            "odločajo živeti, delati in se vračati. Kot participativni procesi prebivalcem in "
            "partnerjem omogočajo sodelovanje pri reševanju konkretnih urbanih izzivov: dostopna "
            "stanovanja, trajnostna mobilnost, industrija 4.0 s kakovostnimi delovnimi mesti in "
            "prenosom znanja, kultura in ustvarjalnost ter energetske skupnosti. Drugi del modela "
            "sta središče MAGNET v Celju in mini središče v Preboldu, tretji pa sodelovalna "
            "digitalna platforma za delitev metod, zgodb in izkušenj.\n\n" + SOURCE_SLBRA,
            "en": "RealLife Learning Labs (RLLL) are the first part of the three-part model of "
            "MAGNET, the project through which Celje aims to become a city where people of all "
            "generations choose to live, work and return. As participatory processes, they let "
            "residents and partners take part in solving concrete urban challenges: affordable "
            "housing, sustainable mobility, industry 4.0 with quality jobs and knowledge "
            "transfer, culture and creativity, and energy communities. The other parts of the "
            "model are the MAGNET Hub in Celje with the MiniHub in Prebold, and a collaborative "
            "digital platform for sharing methods, stories and experience.\n\n" + SOURCE_SLBRA_EN,
        },
        "innovation_blocks": ["participation"],
        "challenges": [
            "housing",
            "mobility",
            "industry-4-0",
            "culture-creativity",
            "energy-communities",
        ],
        "cities": ["celje"],
    },
    {
        "slug": "magnet-hub-co-creation-model",
        "kind": "method",
        "title": {
            "sl": "Središče MAGNET in mini središče: model soustvarjanja",
            "en": "MAGNET Hub and MiniHub co-creation model",
        },
        "summary": {
            "sl": "Središče MAGNET v Celju in mini središče v Preboldu sta fizična prostora za "
            "soustvarjanje: sodelovanje, izdelavo prototipov in programe skupnosti.",
            "en": "The MAGNET Hub in Celje and the MiniHub in Prebold are physical spaces for "
            "co-creation: collaboration, prototyping and community programmes.",
        },
        "body": {
            "sl": "Središče MAGNET v Celju in mini središče v Preboldu sta drugi del tridelnega "
            "modela projekta MAGNET, poleg učnih laboratorijev za realno življenje in sodelovalne "
            "digitalne platforme. Skupaj ti elementi tvorijo trajno inovativno urbano mrežo – "
            "zavezništvo za mesto, ki spodbuja dolgoročno sodelovanje in inovativnost. Mini "
            "središče v Preboldu soustvarja tamkajšnja občina; namenjeno bo predvsem mladim, "
            "odprto pa tudi prebivalcem, ki so že dejavni v Medgeneracijskem centru Prebold.\n\n"
            + SOURCE_SLBRA,
            "en": "The MAGNET Hub in Celje and the MiniHub in Prebold are the second part of "
            "MAGNET's three-part model, next to the RealLife Learning Labs and a collaborative "
            "digital platform. Together these elements form a lasting innovative urban network: "
            "an alliance for the city that encourages long-term collaboration and innovation. "
            "The mini-hub in Prebold is being co-created with the Municipality of Prebold; it "
            "will primarily engage young people while also welcoming residents already active "
            "in the Prebold Intergenerational Centre. \u201cIt\u2019s not just about services,"
            "\u201d as one of its co-creators puts it, \u201cit\u2019s about belonging.\u201d\n\n"
            + SOURCE_SLBRA_EN,
        },
        "innovation_blocks": ["participation", "creativity"],
        "challenges": [],
        "cities": ["celje", "prebold"],
    },
    {
        "slug": "innovation-blocks-framework",
        "kind": "tool",
        "title": {"sl": "Okvir inovacijskih gradnikov", "en": "Innovation blocks framework"},
        "summary": {
            "sl": "Skupni okvir za eksperimentiranje: nabor pogledov, s katerimi partnerji "
            "vidijo, kako se njihove pobude povezujejo in dopolnjujejo.",
            "en": "A shared framework for experimentation: a flexible set of lenses that help "
            "partners see how their initiatives connect and complement each other.",
        },
        "body": {
            "sl": "Inovacijski gradniki so praktični okvir, s katerim MAGNET organizira "
            "eksperimentiranje. So prilagodljiv nabor pogledov – upravljanje, participacija, "
            "ustvarjalnost, digitalne zmogljivosti, gospodarski razvoj in drugi –, ki partnerjem "
            "pomagajo razumeti, kako se njihove pobude povezujejo in kje lahko sodelovanje "
            "ustvari novo vrednost. V katalogu z njimi označujemo zgodbe, metode, orodja in "
            "prakse.",
            "en": "The innovation blocks are MAGNET's practical framework for organising "
            "experimentation: a flexible set of lenses (governance, participation, creativity, "
            "digital capacity, economic development and more) that help partners understand how "
            "their initiatives connect and where collaboration can unlock new value. The catalog "
            "uses them to tag stories, methods, tools and practices.",
        },
        "innovation_blocks": [
            "governance",
            "participation",
            "creativity",
            "digital-capacity",
            "economic-development",
        ],
        "challenges": [],
        "cities": ["celje"],
    },
    {
        "slug": "opening-site-visit-celje",
        "kind": "story",
        "title": {
            "sl": "Uvodni obisk v Celju: ko je Evropa prišla v mesto",
            "en": "The Opening Site Visit in Celje: when Europe came to town",
            "hr": "Uvodni studijski posjet u Celju: kad je Europa došla u grad",
            "sk": "Úvodná študijná návšteva v Celji: keď do mesta prišla Európa",
            "it": "La visita di apertura a Celje: quando l'Europa è arrivata in città",
        },
        "summary": {
            "sl": "Oktobra so partnerji za prenos iz Hrvaške, Italije in Slovaške v Celju "
            "spoznali lokalno zavezništvo in izbrali izzive, ki jih bodo prenesli domov.",
            "en": "In October, the Transfer Partners from Croatia, Italy and Slovakia met the "
            "local alliance in Celje and chose the challenges they will take home.",
            "hr": "U listopadu su partneri za prijenos iz Hrvatske, Italije i Slovačke u Celju "
            "upoznali lokalni savez i odabrali izazove koje će prenijeti u svoje gradove.",
            "sk": "V októbri sa partneri pre prenos z Chorvátska, Talianska a Slovenska v Celji "
            "stretli s miestnou alianciou a vybrali si výzvy, ktoré prenesú do svojich miest.",
            "it": "A ottobre i partner di trasferimento da Croazia, Italia e Slovacchia hanno "
            "incontrato a Celje l'alleanza locale e scelto le sfide da portare nelle loro città.",
        },
        "body": {
            "sl": "Jesensko jutro v Mladinskem centru Celje: za mizami sedijo ljudje, ki se "
            "običajno ne srečajo v istem prostoru – občinski uslužbenci, strokovnjaki za "
            "stanovanja, podjetniki, raziskovalci in gostje iz vse Evrope. Oktobra je Celje "
            "gostilo uvodni obisk, na katerem so partnerji za prenos iz Hrvaške, Italije in "
            "Slovaške od blizu videli napredek lokalnega zavezništva in njegove urbane izzive. "
            "Vsi trije so se odločili, da bodo v svojih mestih delali na izzivih utripa mesta "
            "in stanovanj; Košice bodo raziskovale tudi energetske skupnosti, Nardò pa se bo "
            "osredotočil na ustvarjalna središča. Kar se zgodi v Celju, ne ostane v Celju.",
            "en": "An autumn morning at the Youth Centre in Celje: around the tables sit people "
            "who don't normally find themselves in the same room \u2014 municipal staff, housing "
            "experts, entrepreneurs, researchers and guests from across Europe. In October, "
            "Celje hosted the Opening Site Visit, where the Transfer Partners from Croatia, "
            "Italy and Slovakia saw first-hand the local alliance showcase its progress and "
            "urban challenges. Inspired by what they observed, all three chose to work on the "
            "City Vibe and Housing challenges in their own cities; Košice will also explore "
            "energy communities, and Nardò will focus on creative hubs. What happens in Celje "
            "doesn't stay in Celje.\n\nSource: European Urban Initiative, story on MAG-NET "
            "in Celje.",
        },
        "innovation_blocks": ["participation"],
        "challenges": ["city-vibe", "housing", "energy-communities", "culture-creativity"],
        "cities": ["celje", "varazdin", "kosice", "nardo"],
    },
    {
        "slug": "towns-living-room",
        "kind": "practice",
        "title": {
            "sl": "Mestna dnevna soba: nova platforma nevladnih organizacij",
            "en": "Towns' Living Room: creation of a new NGO platform",
            "hr": "Gradska dnevna soba: nova platforma nevladinih organizacija",
            "sk": "Mestská obývačka: nová platforma mimovládnych organizácií",
            "it": "Il soggiorno della città: una nuova piattaforma delle ONG",
        },
        "summary": {
            "sl": "Dobra praksa URBACT: občina je v prazni stavbi ustanovila »Mestno dnevno "
            "sobo«, ki povezuje vodstvo mestne uprave in aktivne državljane.",
            "en": "URBACT good practice: the municipality established a new 'Towns' Living "
            "Room' in a vacant building, involving the heads of the city administration and "
            "active citizens.",
            "hr": "Dobra praksa URBACT: općina je u praznoj zgradi osnovala novu »Gradsku dnevnu "
            "sobu« koja okuplja čelnike gradske uprave i aktivne građane.",
            "sk": "Dobrá prax URBACT: samospráva zriadila v prázdnej budove novú „Mestskú "
            "obývačku“, do ktorej sa zapájajú vedúci mestskej správy a aktívni občania.",
            "it": "Buona pratica URBACT: il comune ha creato in un edificio vuoto un nuovo "
            "«soggiorno della città», che coinvolge i vertici dell'amministrazione comunale e i "
            "cittadini attivi.",
        },
        "body": {
            "sl": "Nova »Mestna dnevna soba«, ki jo je občina ustanovila v prazni stavbi, "
            "vključuje vodstvo mestne uprave, aktivne državljane in socialne akterje. Je ena od "
            "dobrih praks, ki jih predstavlja slovenska stran programa URBACT.\n\n" + URBACT_SL,
            "en": "The new 'Towns' Living Room', established by the municipality in a vacant "
            "building, involves the heads of the city administration, active citizens and "
            "social actors. It is one of the good practices presented on the Slovenian page of "
            "the URBACT programme.\n\n" + URBACT_EN,
        },
        "innovation_blocks": ["participation", "governance"],
        "challenges": [],
        "cities": [],
    },
    {
        "slug": "creative-spirits",
        "kind": "practice",
        "title": {"sl": "CREATIVE SPIRITS", "en": "CREATIVE SPIRITS", "it": "CREATIVE SPIRITS"},
        "summary": {
            "sl": "Implementacijsko omrežje URBACT, katerega mesta želijo izboljšati izvajanje "
            "svojih celostnih urbanih strategij.",
            "en": "URBACT Implementation network whose partner cities share a need to improve "
            "the implementation of their existing integrated urban strategies.",
            "it": "Rete di attuazione URBACT le cui città partner condividono l'esigenza di "
            "migliorare l'attuazione delle proprie strategie urbane integrate.",
        },
        "body": {
            "sl": "Partnerska mesta tega implementacijskega omrežja URBACT imajo skupno potrebo "
            "po boljšem izvajanju obstoječih celostnih urbanih strategij in akcijskih načrtov."
            "\n\n" + URBACT_SL,
            "en": "The partner cities of this URBACT Implementation network have a common need "
            "to improve the implementation of their existing integrated urban strategies and "
            "action plans.\n\n" + URBACT_EN,
        },
        "innovation_blocks": ["governance"],
        "challenges": [],
        "cities": [],
    },
    {
        "slug": "citycentredoctor",
        "kind": "practice",
        "title": {language: "CityCentreDoctor" for language in ("sl", "en", "hr", "sk", "it")},
        "summary": {
            "sl": "Omrežje URBACT za akcijsko načrtovanje o izzivih mestnih središč.",
            "en": "URBACT Action Planning network on the challenges of city centres.",
            "hr": "Mreža URBACT za akcijsko planiranje o izazovima gradskih središta.",
            "sk": "Sieť URBACT pre akčné plánovanie o výzvach mestských centier.",
            "it": "Rete URBACT di pianificazione d'azione sulle sfide dei centri urbani.",
        },
        "body": {
            "sl": "Mesta tega omrežja URBACT za akcijsko načrtovanje so morala prepoznati "
            "urbane težave svojih mestnih središč ter analizirati, kako jih ljudje dojemajo in "
            "kakšna je resničnost.\n\n" + URBACT_SL,
            "en": "The cities of this URBACT Action Planning network were challenged to "
            "identify the urban issues related to their city centre and to analyse the "
            "perceptions and the reality of those issues.\n\n" + URBACT_EN,
        },
        "innovation_blocks": ["participation"],
        "challenges": ["city-vibe"],
        "cities": [],
    },
]
