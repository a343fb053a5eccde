"""The texts of the candidate pages and the candidate picker (Danish first, English)."""

from __future__ import annotations

CANDIDATE_TEXTS: dict[str, tuple[str, str]] = {
    "nav.candidates": ("Kandidater", "Candidates"),
    "cand.title": ("Find en kandidat", "Find a candidate"),
    "cand.by_cpr": ("Find på CPR-nummer", "Find by CPR number"),
    "cand.by_cpr_help": (
        "Søger i dine kommuners kandidater. Opslaget skrives i adgangsloggen.",
        "Searches your municipalities' candidates. The lookup is written to the access log.",
    ),
    "cand.by_name": ("Find på navn", "Find by name"),
    "cand.by_name_help": (
        "Søger blandt de kandidater, du selv har registreret, henvist eller sat i forløb.",
        "Searches the candidates you registered, referred or placed yourself.",
    ),
    "cand.find": ("Søg", "Search"),
    "cand.results": ("Fundne kandidater", "Candidates found"),
    "cand.none": ("Ingen kandidat fundet.", "No candidate found."),
    "cand.new": ("Registrér en kandidat", "Register a candidate"),
    "cand.new_help": (
        "Oplysningerne forsegles under kandidatens egen nøgle. Skriv aldrig helbredsoplysninger.",
        "The data is sealed under the candidate's own key. Never write health details.",
    ),
    "cand.register": ("Registrér", "Register"),
    "cand.registered": ("Kandidaten er registreret.", "The candidate is registered."),
    "cand.candidate": ("Kandidat", "Candidate"),
    "cand.open": ("Åbn kandidatens oplysninger", "Open the candidate's data"),
    "cand.open_help": (
        "Angiv hvorfor. Formålet skrives i adgangsloggen sammen med dit navn og tidspunktet.",
        "Say why. The purpose is written to the access log with your name and the time.",
    ),
    "cand.open_button": ("Åbn", "Open"),
    "cand.closed": (
        "Kandidatens personoplysninger vises først, når du har angivet et formål.",
        "The candidate's personal data is shown only once you have given a purpose.",
    ),
    "cand.personal_data": ("Personoplysninger", "Personal data"),
    "cand.clarified": ("Afklaring", "Clarification"),
    "cand.health": ("Helbred afklaret", "Health clarified"),
    "cand.motivation": ("Motivation afklaret", "Motivation clarified"),
    "cand.not_clarified": ("ikke afklaret", "not clarified"),
    "cand.erased": ("slettet", "erased"),
    "cand.erased_on": (
        "Kandidatens personoplysninger blev slettet den {day}.",
        "The candidate's personal data was erased on {day}.",
    ),
    "cand.access_log": ("Adgangslog", "Access log"),
    "cand.access_none": ("Ingen har åbnet oplysningerne.", "Nobody has opened the data."),
    "cand.at": ("Tidspunkt", "When"),
    "cand.who": ("Hvem", "Who"),
    "cand.role": ("Rolle", "Role"),
    "cand.erase": ("Slet kandidatens personoplysninger", "Erase the candidate's personal data"),
    "cand.erase_help": (
        "Nøglen destrueres, og oplysningerne kan aldrig åbnes igen. Historikken bevares uden "
        "personoplysninger. Sletning afvises, så længe en åben indsigelse mod en faktura "
        "vedrører kandidaten (retligt tilbageholdt): indsigelsen skal afgøres først.",
        "The key is destroyed and the data can never be opened again. The history stays, "
        "without personal data. Erasure is refused while an open invoice dispute concerns "
        "the candidate (a legal hold): the dispute must be resolved first.",
    ),
    "cand.erase_confirm": (
        "Ja, slet oplysningerne for altid",
        "Yes, erase the data for good",
    ),
    "cand.erase_button": ("Slet", "Erase"),
    "cand.erased_now": ("Kandidatens personoplysninger er slettet.", "The data is erased."),
    "cand.held": (
        "Kan ikke slettes endnu: en åben indsigelse mod en faktura vedrører kandidaten "
        "(retligt tilbageholdt). Afgør indsigelsen først.",
        "Cannot be erased yet: an open invoice dispute concerns the candidate (a legal "
        "hold). Resolve the dispute first.",
    ),
    "cand.confirm_missing": (
        "Bekræft sletningen ved at sætte flueben.",
        "Confirm the erasure by ticking the box.",
    ),
    "cand.bad_cpr": (
        "Et CPR-nummer har ti cifre og starter med en rigtig fødselsdato (DDMMÅÅ-XXXX).",
        "A CPR number has ten digits and starts with a real date of birth (DDMMYY-XXXX).",
    ),
    "cand.no_cpr_match": (
        "Ingen kandidat i virksomhedens kommune har dette CPR-nummer.",
        "No candidate of the company's municipality has this CPR number.",
    ),
    "cand.pick_one": (
        "Skriv kandidatens CPR-nummer eller navn.",
        "Type the candidate's CPR number or name.",
    ),
    "cand.no_name_match": (
        "Ingen af dine kandidater i virksomhedens kommune hedder sådan. Søg på CPR-nummer, "
        "eller opret kandidaten under Kandidater.",
        "None of your candidates in the company's municipality has that name. Search by "
        "CPR number, or register the candidate under Candidates.",
    ),
    "cand.several": (
        "Flere af dine kandidater passer på navnet: vælg én.",
        "Several of your candidates fit the name: choose one.",
    ),
    "field.cpr": ("CPR-nummer", "CPR number"),
    "field.phone": ("Telefon", "Phone"),
    "field.email": ("E-mail", "E-mail"),
    "field.address": ("Adresse", "Address"),
    "field.notes": ("Noter (aldrig helbred)", "Notes (never health)"),
    "field.purpose": ("Formål", "Purpose"),
    "field.query": ("Navn", "Name"),
    "field.candidate": ("Kandidat", "Candidate"),
    "field.candidate_search": (
        "Kandidat (CPR-nummer eller navn)",
        "Candidate (CPR number or name)",
    ),
    "purpose.referral": ("Henvisning til en virksomhed", "Referral to a company"),
    "purpose.follow_up": ("Opfølgning på et forløb", "Follow-up of a placement"),
    "purpose.contact": ("Kontakt med kandidaten", "Contact with the candidate"),
    "purpose.correction": ("Rettelse af oplysninger", "Correction of the data"),
}
