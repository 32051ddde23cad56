"""What the mails to registrants and bookers say, in sl, en, hr, sk and it.

Each text is (subject, opening line); `{title}`, `{when}`, `{where}` and `{position}` are
filled in. The closing lines are shared per language.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "registration.confirmed": {
        "sl": ("Prijava potrjena: {title}", "Vaša prijava na dogodek »{title}« je potrjena."),
        "en": ("Registration confirmed: {title}", "Your place at “{title}” is confirmed."),
        "hr": ("Prijava potvrđena: {title}", "Vaša prijava na događaj „{title}” je potvrđena."),
        "sk": ("Registrácia potvrdená: {title}", "Vaša registrácia na „{title}“ je potvrdená."),
        "it": ("Iscrizione confermata: {title}", "La tua iscrizione a «{title}» è confermata."),
    },
    "registration.waitlisted": {
        "sl": (
            "Na čakalnem seznamu: {title}",
            "Dogodek »{title}« je poln. Na čakalnem seznamu ste {position}. po vrsti.",
        ),
        "en": (
            "On the waitlist: {title}",
            "“{title}” is full. You are number {position} on the waitlist.",
        ),
        "hr": (
            "Na listi čekanja: {title}",
            "Događaj „{title}” je popunjen. Na listi čekanja ste {position}. po redu.",
        ),
        "sk": (
            "Na čakacej listine: {title}",
            "Podujatie „{title}“ je obsadené. Na čakacej listine ste {position}. v poradí.",
        ),
        "it": (
            "In lista d'attesa: {title}",
            "«{title}» è al completo. Sei al numero {position} della lista d'attesa.",
        ),
    },
    "registration.promoted": {
        "sl": ("Dobili ste mesto: {title}", "Sprostilo se je mesto: vaša prijava je potrjena."),
        "en": ("You have a place: {title}", "A seat came free: your place is now confirmed."),
        "hr": ("Dobili ste mjesto: {title}", "Oslobodilo se mjesto: vaša prijava je potvrđena."),
        "sk": ("Máte miesto: {title}", "Uvoľnilo sa miesto: vaša registrácia je potvrdená."),
        "it": ("Hai un posto: {title}", "Si è liberato un posto: la tua iscrizione è confermata."),
    },
    "registration.reminder": {
        "sl": ("Jutri: {title}", "Opomnik: dogodek »{title}« bo jutri."),
        "en": ("Tomorrow: {title}", "A reminder: “{title}” is tomorrow."),
        "hr": ("Sutra: {title}", "Podsjetnik: događaj „{title}” je sutra."),
        "sk": ("Zajtra: {title}", "Pripomienka: podujatie „{title}“ je zajtra."),
        "it": ("Domani: {title}", "Promemoria: «{title}» è domani."),
    },
    "event.moved": {
        "sl": ("Sprememba: {title}", "Dogodek »{title}« ima nov čas ali kraj."),
        "en": ("Changed: {title}", "“{title}” has a new time or place."),
        "hr": ("Promjena: {title}", "Događaj „{title}” ima novo vrijeme ili mjesto."),
        "sk": ("Zmena: {title}", "Podujatie „{title}“ má nový čas alebo miesto."),
        "it": ("Modifica: {title}", "«{title}» ha un nuovo orario o luogo."),
    },
    "event.cancelled": {
        "sl": ("Odpovedano: {title}", "Dogodek »{title}« je odpovedan."),
        "en": ("Cancelled: {title}", "“{title}” has been cancelled."),
        "hr": ("Otkazano: {title}", "Događaj „{title}” je otkazan."),
        "sk": ("Zrušené: {title}", "Podujatie „{title}“ je zrušené."),
        "it": ("Annullato: {title}", "«{title}» è stato annullato."),
    },
    "booking.pending": {
        "sl": ("Rezervacija čaka na potrditev: {title}", "Vašo rezervacijo bomo pregledali."),
        "en": ("Booking awaiting approval: {title}", "Your booking request will be reviewed."),
        "hr": (
            "Rezervacija čeka odobrenje: {title}",
            "Vaš zahtjev za rezervaciju bit će pregledan.",
        ),
        "sk": ("Rezervácia čaká na schválenie: {title}", "Vašu rezerváciu posúdime."),
        "it": (
            "Prenotazione in attesa: {title}",
            "La tua richiesta di prenotazione sarà esaminata.",
        ),
    },
    "booking.confirmed": {
        "sl": ("Rezervacija potrjena: {title}", "Vaša rezervacija je potrjena."),
        "en": ("Booking confirmed: {title}", "Your booking is confirmed."),
        "hr": ("Rezervacija potvrđena: {title}", "Vaša rezervacija je potvrđena."),
        "sk": ("Rezervácia potvrdená: {title}", "Vaša rezervácia je potvrdená."),
        "it": ("Prenotazione confermata: {title}", "La tua prenotazione è confermata."),
    },
    "booking.rejected": {
        "sl": ("Rezervacija zavrnjena: {title}", "Vaše rezervacije žal ne moremo potrditi."),
        "en": ("Booking declined: {title}", "We are sorry: your booking could not be confirmed."),
        "hr": ("Rezervacija odbijena: {title}", "Nažalost, vašu rezervaciju ne možemo potvrditi."),
        "sk": ("Rezervácia zamietnutá: {title}", "Ľutujeme, vašu rezerváciu nemožno potvrdiť."),
        "it": ("Prenotazione rifiutata: {title}", "Purtroppo la prenotazione non è confermata."),
    },
    "booking.cancelled": {
        "sl": ("Rezervacija preklicana: {title}", "Vaša rezervacija je preklicana."),
        "en": ("Booking cancelled: {title}", "Your booking has been cancelled."),
        "hr": ("Rezervacija otkazana: {title}", "Vaša rezervacija je otkazana."),
        "sk": ("Rezervácia zrušená: {title}", "Vaša rezervácia je zrušená."),
        "it": ("Prenotazione annullata: {title}", "La tua prenotazione è stata annullata."),
    },
}

LABELS: dict[str, dict[str, str]] = {
    "sl": {
        "when": "Kdaj",
        "where": "Kje",
        "manage": "Upravljanje prijave",
        "hello": "Pozdravljeni",
    },
    "en": {
        "when": "When",
        "where": "Where",
        "manage": "Manage your registration",
        "hello": "Hello",
    },
    "hr": {"when": "Kada", "where": "Gdje", "manage": "Upravljanje prijavom", "hello": "Pozdrav"},
    "sk": {"when": "Kedy", "where": "Kde", "manage": "Správa registrácie", "hello": "Dobrý deň"},
    "it": {"when": "Quando", "where": "Dove", "manage": "Gestisci l'iscrizione", "hello": "Salve"},
}

SIGNATURE = "MAGNET Celje"

# To the author of a proposal, per the state it was answered with: (subject, opening).
ANSWERED_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "accepted": {
        "sl": ("Predlog sprejet: {title}", "Vaš predlog »{title}« je sprejet. Odgovor:"),
        "en": ("Proposal accepted: {title}", "Your proposal “{title}” was accepted. The answer:"),
        "hr": ("Prijedlog prihvaćen: {title}", "Vaš prijedlog „{title}” je prihvaćen. Odgovor:"),
        "sk": ("Návrh prijatý: {title}", "Váš návrh „{title}“ bol prijatý. Odpoveď:"),
        "it": ("Proposta accolta: {title}", "La tua proposta «{title}» è stata accolta. Risposta:"),
    },
    "rejected": {
        "sl": ("Predlog ni sprejet: {title}", "Vaš predlog »{title}« žal ni sprejet. Odgovor:"),
        "en": (
            "Proposal not accepted: {title}",
            "Your proposal “{title}” was not accepted. The answer:",
        ),
        "hr": (
            "Prijedlog nije prihvaćen: {title}",
            "Vaš prijedlog „{title}” nije prihvaćen. Odgovor:",
        ),
        "sk": ("Návrh neprijatý: {title}", "Váš návrh „{title}“ nebol prijatý. Odpoveď:"),
        "it": (
            "Proposta non accolta: {title}",
            "La tua proposta «{title}» non è stata accolta. Risposta:",
        ),
    },
    "evaluating": {
        "sl": ("Predlog v presoji: {title}", "Vaš predlog »{title}« presojamo. Odgovor:"),
        "en": (
            "Proposal under evaluation: {title}",
            "Your proposal “{title}” is being evaluated. The answer:",
        ),
        "hr": ("Prijedlog u procjeni: {title}", "Vaš prijedlog „{title}” se procjenjuje. Odgovor:"),
        "sk": ("Návrh sa posudzuje: {title}", "Váš návrh „{title}“ posudzujeme. Odpoveď:"),
        "it": (
            "Proposta in valutazione: {title}",
            "La tua proposta «{title}» è in valutazione. Risposta:",
        ),
    },
}
PROPOSAL_LINK_LABEL = {
    "sl": "Vaš predlog",
    "en": "Your proposal",
    "hr": "Vaš prijedlog",
    "sk": "Váš návrh",
    "it": "La tua proposta",
}
