"""What identity's mails to residents say, in sl, en, hr, sk and it.

Each text is (subject, opening, the link's label, closing note); `{name}` is filled in.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "resident.verify": {
        "sl": (
            "Potrdite svoj e-naslov",
            "Hvala, ker sodelujete v laboratorijih MAGNET Celje. Za aktivacijo računa "
            "potrdite svoj e-naslov.",
            "Potrdi e-naslov",
            "Povezava velja 48 ur in jo lahko uporabite enkrat. Če se niste prijavili vi, "
            "to sporočilo prezrite.",
        ),
        "en": (
            "Confirm your email address",
            "Thank you for taking part in the MAGNET Celje labs. Confirm your email address "
            "to activate your account.",
            "Confirm my email address",
            "The link works once, for 48 hours. If you did not sign up, ignore this mail.",
        ),
        "hr": (
            "Potvrdite svoju adresu e-pošte",
            "Hvala što sudjelujete u laboratorijima MAGNET Celje. Potvrdite svoju adresu "
            "e-pošte kako biste aktivirali račun.",
            "Potvrdi adresu e-pošte",
            "Poveznica vrijedi 48 sati i može se upotrijebiti jednom. Ako se niste vi "
            "prijavili, zanemarite ovu poruku.",
        ),
        "sk": (
            "Potvrďte svoju e-mailovú adresu",
            "Ďakujeme, že sa zapájate do laboratórií MAGNET Celje. Na aktiváciu účtu "
            "potvrďte svoju e-mailovú adresu.",
            "Potvrdiť e-mailovú adresu",
            "Odkaz platí 48 hodín a dá sa použiť raz. Ak ste sa neregistrovali vy, túto "
            "správu ignorujte.",
        ),
        "it": (
            "Conferma il tuo indirizzo email",
            "Grazie di partecipare ai laboratori MAGNET Celje. Conferma il tuo indirizzo "
            "email per attivare l'account.",
            "Conferma l'indirizzo email",
            "Il link vale una volta sola, per 48 ore. Se non ti sei registrato tu, ignora "
            "questo messaggio.",
        ),
    },
    "resident.password-reset": {
        "sl": (
            "Novo geslo za MAGNET Celje",
            "Prejeli smo prošnjo za novo geslo za vaš račun.",
            "Nastavi novo geslo",
            "Povezava velja eno uro in jo lahko uporabite enkrat. Če novega gesla niste "
            "zahtevali vi, to sporočilo prezrite: vaše geslo ostaja enako.",
        ),
        "en": (
            "A new password for MAGNET Celje",
            "We were asked for a new password for your account.",
            "Choose a new password",
            "The link works once, for one hour. If you did not ask for it, ignore this mail: "
            "your password stays as it is.",
        ),
        "hr": (
            "Nova lozinka za MAGNET Celje",
            "Primili smo zahtjev za novu lozinku za vaš račun.",
            "Postavi novu lozinku",
            "Poveznica vrijedi jedan sat i može se upotrijebiti jednom. Ako niste vi "
            "zatražili novu lozinku, zanemarite ovu poruku: lozinka ostaje ista.",
        ),
        "sk": (
            "Nové heslo pre MAGNET Celje",
            "Dostali sme žiadosť o nové heslo k vášmu účtu.",
            "Nastaviť nové heslo",
            "Odkaz platí jednu hodinu a dá sa použiť raz. Ak ste o nové heslo nežiadali vy, "
            "túto správu ignorujte: vaše heslo zostáva rovnaké.",
        ),
        "it": (
            "Una nuova password per MAGNET Celje",
            "Abbiamo ricevuto una richiesta di nuova password per il tuo account.",
            "Scegli una nuova password",
            "Il link vale una volta sola, per un'ora. Se non l'hai chiesta tu, ignora questo "
            "messaggio: la tua password resta la stessa.",
        ),
    },
    "resident.already-registered": {
        "sl": (
            "Račun že imate",
            "Nekdo (morda vi) se je želel prijaviti s tem e-naslovom, a zanj račun že obstaja.",
            "Pozabljeno geslo",
            "Če se niste prijavljali vi, to sporočilo prezrite: nič se ni spremenilo.",
        ),
        "en": (
            "You already have an account",
            "Someone (perhaps you) tried to sign up with this email address, which already "
            "has an account.",
            "Forgot your password?",
            "If it was not you, ignore this mail: nothing has changed.",
        ),
        "hr": (
            "Već imate račun",
            "Netko (možda vi) pokušao se prijaviti s ovom adresom e-pošte, za koju račun već "
            "postoji.",
            "Zaboravljena lozinka",
            "Ako to niste bili vi, zanemarite ovu poruku: ništa se nije promijenilo.",
        ),
        "sk": (
            "Účet už máte",
            "Niekto (možno vy) sa pokúsil zaregistrovať s touto e-mailovou adresou, ku ktorej "
            "už účet existuje.",
            "Zabudnuté heslo",
            "Ak ste to neboli vy, túto správu ignorujte: nič sa nezmenilo.",
        ),
        "it": (
            "Hai già un account",
            "Qualcuno (forse tu) ha provato a registrarsi con questo indirizzo email, che ha "
            "già un account.",
            "Password dimenticata?",
            "Se non sei stato tu, ignora questo messaggio: non è cambiato nulla.",
        ),
    },
}

HELLO = {"sl": "Pozdravljeni", "en": "Hello", "hr": "Pozdrav", "sk": "Dobrý deň", "it": "Salve"}
SIGNATURE = "MAGNET Celje"
