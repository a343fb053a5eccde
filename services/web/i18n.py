"""The one translation catalogue of the web app (Danish first, English available),
and Danish formats of dates, times, numbers and amounts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from infra.clock import COPENHAGEN
from services.web.texts_candidates import CANDIDATE_TEXTS

LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"

# key: (Danish, English)
CATALOGUE: dict[str, tuple[str, str]] = {
    "app": ("casebook", "casebook"),
    "skip": ("Spring til indhold", "Skip to content"),
    "nav": ("Hovedmenu", "Main menu"),
    "nav.search": ("Søg virksomhed", "Find a company"),
    "nav.my_work": ("Mit arbejde", "My work"),
    "nav.team": ("Team", "Team"),
    "nav.dashboard": ("Overblik", "Dashboard"),
    "nav.sign_out": ("Log ud", "Sign out"),
    "lang.other": ("English", "Dansk"),
    "signed_in_as": ("Logget ind som", "Signed in as"),
    "role.consultant": ("konsulent", "consultant"),
    "role.team_lead": ("teamleder", "team lead"),
    "role.auditor": ("revisor", "auditor"),
    "role.admin": ("administrator", "administrator"),
    "role.service": ("tjeneste", "service"),
    # Sign-in
    "signin.title": ("Log ind", "Sign in"),
    "signin.pick": ("Vælg en medarbejder (demo)", "Pick a staff member (demo)"),
    "signin.pick_help": (
        "Den indlejrede tilstand: vælg hvem du er.",
        "The embedded mode: choose who you are.",
    ),
    "signin.staff": ("Medarbejder", "Staff member"),
    "signin.token": ("Organisationens adgangsnøgle (JWT)", "Your organisation's token (JWT)"),
    "signin.token_help": (
        "Indsæt den nøgle, din organisation har udstedt.",
        "Paste the token your organisation issued.",
    ),
    "signin.submit": ("Log ind", "Sign in"),
    "signin.need": ("Log ind for at fortsætte.", "Sign in to continue."),
    "signin.bad_token": ("Nøglen blev ikke godtaget", "The token was not accepted"),
    "signin.provider_only": (
        "log ind med knappen herunder, gennem din organisations login",
        "sign in with the button below, through your organisation's login",
    ),
    "signin.choose": ("Vælg en medarbejder", "Choose a staff member"),
    "signin.provider": (
        "Log ind med din organisations login",
        "Sign in with your organisation's account",
    ),
    "signin.provider_help": (
        "Du logges ind hos din organisation og sendes tilbage hertil.",
        "You sign in with your organisation and are sent back here.",
    ),
    "signin.signed_out": ("Du er logget ud.", "You are signed out."),
    "signin.done": ("Du er logget ind", "You are signed in"),
    "signin.continue": ("Fortsæt til casebook", "Continue to casebook"),
    "signin.failed": ("Log ind mislykkedes", "Sign-in failed"),
    "signin.failed_help": (
        "Log ind blev afbrudt eller kunne ikke bekræftes. Prøv at logge ind igen.",
        "The sign-in was interrupted or could not be confirmed. Please sign in again.",
    ),
    "signin.unknown": ("Du er ikke oprettet i casebook", "You are not registered in casebook"),
    "signin.unknown_help": (
        "Din organisation kender dig, men casebook har ingen aktiv medarbejder med dit id. "
        "Bed din teamleder eller en administrator om at oprette dig som medarbejder.",
        "Your organisation knows you, but casebook has no active staff member with your "
        "id. Ask your team lead or an administrator to register you as a staff member.",
    ),
    "signin.provider_down": (
        "Organisationens login svarer ikke lige nu. Prøv igen om lidt.",
        "Your organisation's sign-in does not answer just now. Please try again shortly.",
    ),
    "signin.no_provider": (
        "casebook er ikke sat op til at logge ind hos en organisation.",
        "casebook is not set up to sign in with an organisation.",
    ),
    # Search
    "search.title": ("Find en virksomhed", "Find a company"),
    "search.label": ("CVR-nummer eller navn", "CVR number or name"),
    "search.submit": ("Søg", "Search"),
    "search.none": ("Ingen virksomheder fundet.", "No companies found."),
    "search.results": ("Resultater", "Results"),
    "col.cvr": ("CVR", "CVR"),
    "col.name": ("Navn", "Name"),
    "col.municipality": ("Kommune", "Municipality"),
    "col.industry": ("Branche", "Industry"),
    "col.contact_person": ("Kontaktperson", "Contact person"),
    "left": ("fratrådt", "left"),
    "none": ("ingen", "none"),
    # Company page
    "company.overview": ("Overblik", "Overview"),
    "company.contact_person": ("Kontaktperson", "Contact person"),
    "company.since": ("siden", "since"),
    "company.no_contact_person": (
        "Virksomheden har ingen kontaktperson.",
        "The company has no contact person.",
    ),
    "company.history": ("Tidligere kontaktpersoner", "Earlier contact persons"),
    "company.handover_note": ("Overdragelsesnote", "Handover note"),
    "company.last_contact": ("Seneste kontakt", "Last contact"),
    "company.no_contact": ("Ingen kontakter endnu.", "No contacts yet."),
    "company.coordination": ("Koordinering", "Coordination"),
    "company.programme": ("Deltager i {name} siden {since}", "Takes part in {name} since {since}"),
    "company.coordination_text": (
        "{month} kontakter på 30 dage fra {people} personer (loft {cap} om måneden)",
        "{month} contacts in 30 days from {people} people (cap {cap} a month)",
    ),
    "company.warning": ("Advarsel: for mange kontakter", "Warning: too many contacts"),
    "company.openings": ("Åbne stillinger", "Open openings"),
    "company.referrals": ("Henvisninger under behandling", "Referrals in flight"),
    "company.placements": ("Personer i forløb", "People in placement"),
    "company.follow_ups": ("Opfølgninger", "Follow-ups"),
    "company.overdue": ("overskredet", "overdue"),
    "company.commitments": ("Aftaler mod ansættelser", "Commitments against hires"),
    "company.hires": (
        "{actual} af {target} ansat inden {by}",
        "{actual} of {target} hired by {by}",
    ),
    "company.timeline": ("Tidslinje", "Timeline"),
    "company.actions": ("Registrér", "Record"),
    "company.nothing": ("Intet.", "Nothing."),
    "timeline.kind": ("Type", "Kind"),
    "timeline.person": ("Person", "Person"),
    "timeline.from": ("Fra dato", "From date"),
    "timeline.to": ("Til dato", "To date"),
    "timeline.filter": ("Filtrér", "Filter"),
    "timeline.all": ("Alle", "All"),
    "timeline.more": ("Vis flere", "Show more"),
    "timeline.empty": ("Ingen hændelser.", "No events."),
    "timeline.corrected": ("rettet", "corrected"),
    # Event kinds
    "kind.registered": ("Virksomhed registreret", "Company registered"),
    "kind.details_changed": ("Oplysninger rettet", "Details changed"),
    "kind.contact_person_assigned": ("Kontaktperson tildelt", "Contact person assigned"),
    "kind.contact_logged": ("Kontakt", "Contact"),
    "kind.contact_corrected": ("Kontakt rettet", "Contact corrected"),
    "kind.contact_preference_set": ("Kontaktønske", "Contact preference"),
    "kind.opening_registered": ("Stilling oprettet", "Opening registered"),
    "kind.opening_closed": ("Stilling lukket", "Opening closed"),
    "kind.candidate_referred": ("Kandidat henvist", "Candidate referred"),
    "kind.referral_answered": ("Henvisning besvaret", "Referral answered"),
    "kind.placement_started": ("Forløb startet", "Placement started"),
    "kind.placement_changed": ("Forløb ændret", "Placement changed"),
    "kind.placement_ended": ("Forløb afsluttet", "Placement ended"),
    "kind.follow_up_scheduled": ("Opfølgning planlagt", "Follow-up scheduled"),
    "kind.follow_up_completed": ("Opfølgning holdt", "Follow-up held"),
    "kind.commitment_agreed": ("Aftale indgået", "Commitment agreed"),
    "kind.commitment_reviewed": ("Aftale gennemgået", "Commitment reviewed"),
    "kind.programme_joined": ("Deltager i et program", "Joined a programme"),
    "kind.programme_left": ("Sidste dag i programmet", "Left the programme"),
    # Forms
    "form.log_contact": ("Log en kontakt", "Log a contact"),
    "form.register_opening": ("Opret en stilling", "Register an opening"),
    "form.refer_candidate": ("Henvis en kandidat", "Refer a candidate"),
    "form.start_placement": ("Start et forløb", "Start a placement"),
    "form.change_placement": ("Ændr et forløb", "Change a placement"),
    "form.end_placement": ("Afslut et forløb", "End a placement"),
    "form.schedule_follow_up": ("Planlæg en opfølgning", "Schedule a follow-up"),
    "form.complete_follow_up": ("Registrér en opfølgning", "Complete a follow-up"),
    "form.hand_over": ("Overdrag virksomheden", "Hand the company over"),
    "form.save": ("Gem", "Save"),
    "form.errors": ("Formularen blev ikke gemt:", "The form was not saved:"),
    "form.saved": ("Gemt.", "Saved."),
    "form.optional": ("(valgfri)", "(optional)"),
    "form.choose": ("Vælg…", "Choose…"),
    "field.channel": ("Kanal", "Channel"),
    "field.programme": ("Program", "Programme"),
    "field.joined_on": ("Fra", "From"),
    "field.left_on": ("Sidste dag", "Last day"),
    "field.occurred_at": ("Tidspunkt", "When"),
    "field.summary": ("Resumé", "Summary"),
    "field.topics": ("Emner (kommasepareret)", "Topics (comma-separated)"),
    "field.title": ("Titel", "Title"),
    "field.hours_per_week": ("Timer om ugen", "Hours per week"),
    "field.placement_kinds": ("Forløbstyper", "Placement kinds"),
    "field.positions": ("Antal pladser", "Positions"),
    "field.carved_out_tasks": ("Udskilte opgaver (én pr. linje)", "Carved-out tasks (one a line)"),
    "field.opening_id": ("Stilling", "Opening"),
    "field.candidate_id": ("Kandidat", "Candidate"),
    "field.referral_id": ("Henvisning", "Referral"),
    "field.health_clarified_on": ("Helbred afklaret den", "Health clarified on"),
    "field.motivation_clarified_on": ("Motivation afklaret den", "Motivation clarified on"),
    "field.kind": ("Type", "Kind"),
    "field.starts_on": ("Startdato", "Starts on"),
    "field.placement_id": ("Forløb", "Placement"),
    "field.effective_on": ("Gælder fra", "Effective from"),
    "field.ends_on": ("Slutdato", "Ends on"),
    "field.reason": ("Årsag", "Reason"),
    "field.due_on": ("Forfalder den", "Due on"),
    "field.follow_up_id": ("Opfølgning", "Follow-up"),
    "field.held_on": ("Holdt den", "Held on"),
    "field.status": ("Status", "Status"),
    "field.staff_id": ("Ny kontaktperson", "New contact person"),
    "field.handover_note": ("Note til den nye kontaktperson", "Note for the new contact person"),
    "field.form": ("Formular", "Form"),
    "field.cvr": ("CVR", "CVR"),
    "field.name": ("Navn", "Name"),
    "field.municipality": ("Kommune", "Municipality"),
    "field.industry": ("Branche", "Industry"),
    "field.unit": ("Enhed", "Unit"),
    "field.max_contacts_per_month": ("Højst kontakter om måneden", "Most contacts a month"),
    "field.preferred_channel": ("Foretrukken kanal", "Preferred channel"),
    "field.outcome": ("Svar", "Outcome"),
    "field.answered_on": ("Besvaret den", "Answered on"),
    "field.note": ("Note", "Note"),
    "field.description": ("Beskrivelse", "Description"),
    "field.target_hires": ("Mål for ansættelser", "Target hires"),
    "field.by_date": ("Senest", "By"),
    "field.preparation": ("Forberedelse", "Preparation"),
    "field.requirements": ("Krav", "Requirements"),
    "field.reviewed_on": ("Gennemgået den", "Reviewed on"),
    "field.health_clarified": ("Helbred afklaret", "Health clarified"),
    "field.motivation_clarified": ("Motivation afklaret", "Motivation clarified"),
    "outcome.hired": ("Ansat", "Hired"),
    "outcome.declined_by_company": ("Afvist af virksomheden", "Declined by the company"),
    "outcome.declined_by_candidate": ("Afvist af kandidaten", "Declined by the candidate"),
    "outcome.no_show": ("Mødte ikke op", "No show"),
    "unit.job_centre": ("Jobcenter", "Job centre"),
    "unit.business_unit": ("Virksomhedsservice", "Business unit"),
    "unit.contracted_provider": ("Anden aktør", "Contracted provider"),
    "yes": ("ja", "yes"),
    "no": ("nej", "no"),
    "channel.phone": ("Telefon", "Phone"),
    "channel.email": ("E-mail", "Email"),
    "channel.visit": ("Besøg", "Visit"),
    "channel.meeting": ("Møde", "Meeting"),
    "channel.video": ("Video", "Video"),
    "channel.job_dating": ("Jobdating", "Job dating"),
    "placement.ordinary": ("Ordinær ansættelse", "Ordinary job"),
    "placement.flex_job": ("Fleksjob", "Flex job"),
    "placement.wage_subsidy": ("Løntilskud", "Wage subsidy"),
    "placement.internship": ("Virksomhedspraktik", "Internship"),
    "end.completed": ("Gennemført", "Completed"),
    "end.resigned": ("Sagt op", "Resigned"),
    "end.dismissed": ("Afskediget", "Dismissed"),
    "end.converted": ("Overgået til ansættelse", "Converted to a job"),
    "end.other": ("Andet", "Other"),
    "status.on_track": ("På rette spor", "On track"),
    "status.at_risk": ("I risiko", "At risk"),
    # My work and team
    "work.title": ("Mit arbejde", "My work"),
    "work.companies": ("Mine virksomheder", "My companies"),
    "work.notices": ("Nyt på dine virksomheder", "New at your companies"),
    "work.no_notices": (
        "Intet nyt fra andre på dine virksomheder, siden du sidst kiggede.",
        "Nothing new from others at your companies since you last looked.",
    ),
    "work.more_notices": (
        "Og {n} ældre; de markeres som læst, når du åbner virksomheden.",
        "And {n} older ones; they are marked read when you open the company.",
    ),
    "company.notices": ("Nyt siden du sidst kiggede", "New since you last looked"),
    "company.more_notices": ("Og {n} ældre.", "And {n} older ones."),
    "col.when": ("Hvornår", "When"),
    "col.who": ("Hvem", "Who"),
    "col.what": ("Hvad", "What"),
    "work.follow_ups": ("Mine opfølgninger (forfaldne først)", "My follow-ups (overdue first)"),
    "work.no_staff": (
        "Du er ikke medarbejder; her er intet arbejde.",
        "You are not a staff member; there is no work here.",
    ),
    "col.last_contact": ("Seneste kontakt", "Last contact"),
    "col.open_work": ("Åbent arbejde", "Open work"),
    "col.due_on": ("Forfalder", "Due"),
    "col.company": ("Virksomhed", "Company"),
    "col.left_on": ("Fratrådt den", "Left on"),
    "col.reassign": ("Ny kontaktperson", "Reassign to"),
    "col.companies": ("Virksomheder", "Companies"),
    "open_work": (
        "{o} stillinger, {r} henvisninger, {p} i forløb, {f} opfølgninger",
        "{o} openings, {r} referrals, {p} in placement, {f} follow-ups",
    ),
    "team.title": ("Team", "Team"),
    "team.queue": (
        "Virksomheder uden kontaktperson (overdragelseskø)",
        "Companies without a contact person (handover queue)",
    ),
    "team.queue_empty": ("Køen er tom.", "The queue is empty."),
    "team.caseloads": ("Sagsstammer", "Caseloads"),
    "team.reassign": ("Overdrag", "Reassign"),
    # Dashboard
    "dash.title": ("Kommunens overblik", "Municipality dashboard"),
    "dash.contacts_per_week": ("Kontakter pr. uge", "Contacts per week"),
    "dash.actors": (
        "Forskellige kontaktpersoner pr. virksomhed (90 dage)",
        "Distinct people in contact per company (90 days)",
    ),
    "dash.funnel": ("Henvisninger → forløb → fastholdelse", "Referrals → placements → retention"),
    "dash.by_kind": ("Forløb efter type pr. kvartal", "Placements by kind per quarter"),
    "dash.week": ("Uge", "Week"),
    "dash.contacts": ("Kontakter", "Contacts"),
    "dash.people": ("Personer", "People"),
    "dash.step": ("Trin", "Step"),
    "dash.count": ("Antal", "Count"),
    "dash.referrals": ("Henvisninger", "Referrals"),
    "dash.placements": ("Forløb", "Placements"),
    "dash.retained13": ("I job efter 13 uger", "Retained at 13 weeks"),
    "dash.retained26": ("I job efter 26 uger", "Retained at 26 weeks"),
    "dash.quarter": ("Kvartal", "Quarter"),
    "dash.show_table": ("Tallene som tabel", "The numbers as a table"),
    "dash.municipality": ("Kommune", "Municipality"),
    "dash.chart": ("Diagram", "Chart"),
    # The auditor's pages
    "nav.contracts": ("Kontrakter", "Contracts"),
    "audit.contracts": ("Resultatkontrakter", "Outcome contracts"),
    "effects.title": ("Effektopgørelse", "Effect statement"),
    "effects.compare": ("Sammenligning af programmer", "Programmes compared"),
    "effects.cost_chart": ("Pris pr. varigt job (kr.)", "Cost per durable job (DKK)"),
    "effects.kroner": ("Kroner", "Kroner"),
    "effects.durable_short": ("varige", "durable"),
    "effects.programme": ("Program", "Programme"),
    "effects.no_programmes": ("Ingen programmer.", "No programmes."),
    "effects.link": ("Effektopgørelse", "Effect statement"),
    "effects.paid_to": ("Betales til {name} (CVR {cvr})", "Paid to {name} (CVR {cvr})"),
    "effects.no_counterparty": ("Ingen modpart registreret", "No counterparty recorded"),
    "effects.target_group": ("Målgruppe", "Target group"),
    "effects.from": ("Fra", "From"),
    "effects.to": ("Til", "To"),
    "effects.totals": ("Samlet", "Totals"),
    "effects.started": ("Job startet", "Jobs started"),
    "effects.durable": ("Varige job ({milestone})", "Durable jobs ({milestone})"),
    "effects.cost_per_durable": ("Pris pr. varigt job", "Cost per durable job"),
    "effects.cost_per_started": ("Pris pr. startet job", "Cost per job started"),
    "effects.companies": ("Deltagende virksomheder", "Participating companies"),
    "effects.durable_per_company": ("Varige job pr. virksomhed", "Durable jobs per company"),
    "effects.jobs": ("Job", "Jobs"),
    "effects.participation": ("Deltagelse", "Participation"),
    "effects.internships": ("Praktikker (tælles ikke)", "Internships (not counted)"),
    "effects.reached": ("Milepæle nået", "Milestones reached"),
    "effects.still_13": ("I job efter 13 uger", "Employed after 13 weeks"),
    "effects.still_26": ("I job efter 26 uger", "Employed after 26 weeks"),
    "effects.still_52": ("I job efter 52 uger", "Employed after 52 weeks"),
    "effects.hours": ("Timer pr. uge", "Hours per week"),
    "effects.no_companies": ("Ingen virksomheder deltager endnu.", "No company takes part yet."),
    "effects.csv": ("Hent som CSV", "Download as CSV"),
    "effects.baseline": ("Basislinje", "Baseline"),
    "effects.above_baseline": ("Over basislinjen", "Above the baseline"),
    "effects.follow": (
        "Følg ændringer fra denne opgørelse",
        "Follow changes from this statement",
    ),
    "effects.changes": ("Ændret siden position {position}", "Changed since position {position}"),
    "effects.no_changes": (
        "Intet er ændret siden position {position}.",
        "Nothing has changed since position {position}.",
    ),
    "effects.figure": ("Tal", "Figure"),
    "effects.was": ("Før", "Was"),
    "effects.now": ("Nu", "Now"),
    "effects.change": ("Ændring", "Change"),
    "figure.placements_started": ("Job startet", "Jobs started"),
    "figure.internships": ("Praktikker", "Internships"),
    "figure.durable_jobs": ("Varige job", "Durable jobs"),
    "figure.amount_ore": ("Beløb (øre)", "Amount (øre)"),
    "figure.above_baseline": ("Over basislinjen", "Above the baseline"),
    "figure.milestones": ("Milepæl nået: {name}", "Milestone reached: {name}"),
    "figure.still_employed": ("I job efter {name}", "Employed after {name}"),
    "target.long_term_unemployed": ("Langtidsledige", "Long-term unemployed"),
    "target.young_without_education": ("Unge uden uddannelse", "Young people without education"),
    "target.refugees_and_immigrants": ("Flygtninge og indvandrere", "Refugees and immigrants"),
    "target.criminal_record": (
        "Personer med plettet straffeattest",
        "People with a criminal record",
    ),
    "target.reduced_working_capacity": (
        "Personer med nedsat arbejdsevne",
        "People with reduced working capacity",
    ),
    "audit.no_contracts": ("Ingen kontrakter.", "No contracts."),
    "audit.period": ("Periode", "Period"),
    "audit.ledger": ("Regnskab", "Ledger"),
    "audit.export": ("Eksport af hændelsesloggen", "Export of the event log"),
    "audit.export_all": (
        "Hent loggen for mine kommuner (JSONL)",
        "Download the log of my municipalities (JSONL)",
    ),
    "audit.export_company": ("Kun én virksomhed (CVR)", "Only one company (CVR)"),
    "audit.download": ("Hent", "Download"),
    "audit.as_of": (
        "Opgjort pr. {day}, logposition {position}",
        "As of {day}, log position {position}",
    ),
    "audit.known_at": ("Som kendt på tidspunktet", "As known at"),
    "audit.known_at_help": ("Tomt: som kendt nu.", "Empty: as known now."),
    "audit.show": ("Vis", "Show"),
    "audit.milestone": ("Milepæl", "Milestone"),
    "audit.state": ("Status", "State"),
    "audit.candidate": ("Kandidat", "Candidate"),
    "audit.reached_on": ("Nået", "Reached"),
    "audit.claimable_on": ("Kan faktureres", "Claimable"),
    "audit.price": ("Pris", "Price"),
    "audit.amount": ("Beløb", "Amount"),
    "audit.invoiced": ("Faktureret", "Invoiced"),
    "audit.pending": ("Afventer rettelse", "Pending correction"),
    "audit.proof": ("Bevis (hændelser)", "Evidence (events)"),
    "audit.total": ("I alt", "Total"),
    "audit.no_entries": ("Ingen milepæle.", "No milestones."),
    "audit.invoices": ("Fakturaer", "Invoices"),
    "audit.no_invoices": ("Ingen fakturaer.", "No invoices."),
    "audit.invoice": ("Faktura", "Invoice"),
    "audit.invoice_title": ("Faktura {id}", "Invoice {id}"),
    "audit.contract": ("Kontrakt", "Contract"),
    "audit.provenance": ("Oprindelse", "Provenance"),
    "audit.computed_on": ("Beregnet pr.", "Computed as of"),
    "audit.position": ("Logposition", "Log position"),
    "audit.digest": ("Fastlåst digest", "Pinned digest"),
    "audit.recorded": ("Registreret af hændelse", "Recorded by event"),
    "audit.verify": ("Kontrol af forseglingen", "Verification against the seal"),
    "audit.seal_agrees": (
        "Forseglingen har samme digest ved position {position}: "
        "loggen er uændret siden fakturaen blev udstedt.",
        "The seal holds the same digest at position {position}: the log "
        "is unchanged since the invoice was issued.",
    ),
    "audit.seal_differs": (
        "ADVARSEL: forseglingen har et andet digest ved position {position}.",
        "WARNING: the seal holds another digest at position {position}.",
    ),
    "audit.seal_missing": (
        "Forseglingen når endnu ikke position {position}.",
        "The seal does not reach position {position} yet.",
    ),
    "audit.sealed_now": ("Forseglingens digest nu", "The seal's digest now"),
    "audit.lines": ("Linjer", "Lines"),
    "audit.kind": ("Art", "Kind"),
    "audit.corrects": ("Retter faktura", "Corrects invoice"),
    "audit.disputes": ("Indsigelser", "Disputes"),
    "audit.no_disputes": ("Ingen indsigelser.", "No disputes."),
    "audit.reason": ("Begrundelse", "Reason"),
    "audit.outcome": ("Afgørelse", "Outcome"),
    "audit.open": ("åben", "open"),
    "audit.dispute": ("Gør indsigelse", "Dispute"),
    "audit.dispute_lines": ("Linjer", "Lines"),
    "audit.none_is_all": ("ingen valgt: alle linjer", "none ticked: every line"),
    "audit.all_lines": ("alle linjer", "every line"),
    "audit.resolve": ("Afgør indsigelsen", "Resolve the dispute"),
    "audit.note": ("Notat", "Note"),
    "audit.keys": ("Linjer", "Lines"),
    "audit.upheld_help": (
        "Fastholdt: betalingen står ved magt",
        "Upheld: the payment stands",
    ),
    "audit.recovered_help": (
        "Tilbagebetalt: pengene kommer tilbage",
        "Recovered: the money comes back",
    ),
    "line.charge": ("Opkrævning", "Charge"),
    "line.credit": ("Kreditering", "Credit"),
    "line.debit": ("Efterbetaling", "Debit"),
    "state.reached": ("Nået", "Reached"),
    "state.claimable": ("Kan faktureres", "Claimable"),
    "state.invoiced": ("Faktureret", "Invoiced"),
    "state.disputed": ("Gjort indsigelse mod", "Disputed"),
    "state.upheld": ("Fastholdt", "Upheld"),
    "state.recovered": ("Tilbagebetalt", "Recovered"),
    "milestone.start": ("Start", "Start"),
    "milestone.13_weeks": ("13 uger", "13 weeks"),
    "milestone.26_weeks": ("26 uger", "26 weeks"),
    # Errors
    "error.title": ("Der opstod en fejl", "Something went wrong"),
    "error.not_found": ("Ikke fundet", "Not found"),
    "error.forbidden": ("Ingen adgang", "Forbidden"),
    "error.back": ("Til forsiden", "Back to the start page"),
    "error.request_id": ("Fejl-id", "Request id"),
}


def translate(key: str, lang: str, **values: object) -> str:
    """The text of `key` in `lang` (the key itself if the catalogue lacks it)."""
    texts = CATALOGUE.get(key)
    text = key if texts is None else texts[LANGUAGES.index(lang) if lang in LANGUAGES else 0]
    return text.format(**values) if values else text


def number(value: int | float | Decimal, decimals: int = 0) -> str:
    """1234.5 -> '1.234,50' (decimals=2): Danish grouping and decimal comma."""
    quantum = Decimal(1).scaleb(-decimals)
    fixed = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{fixed:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def amount(value: int | float | Decimal) -> str:
    """1234.5 -> '1.234,50 kr.'"""
    return f"{number(value, 2)} kr."


def ore(value: int) -> str:
    """An amount in integer øre: 123450 -> '1.234,50 kr.' (exact, no float)."""
    return amount(Decimal(value).scaleb(-2))


def day(value: str | date | datetime | None) -> str:
    """A date as 27.11.2026 (a moment: its Danish calendar day)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(COPENHAGEN) if value.tzinfo else value
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def moment(value: str | datetime | None) -> str:
    """A moment in Danish time as 27.11.2026 14.05 (a date-only value: just the date)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if "T" not in value:
            return day(value)
        value = datetime.fromisoformat(value)
    local = value.astimezone(COPENHAGEN) if value.tzinfo else value
    return f"{day(local)} {local.hour:02d}.{local.minute:02d}"


ERRORS: dict[str, tuple[str, str]] = {
    "err.missing": ("Skal udfyldes.", "Required."),
    "err.string_too_short": ("Skal udfyldes.", "Required."),
    "err.int_parsing": ("Skal være et helt tal.", "Must be a whole number."),
    "err.greater_than_equal": ("Tallet er for lille.", "The number is too small."),
    "err.less_than_equal": ("Tallet er for stort.", "The number is too large."),
    "err.date_from_datetime_parsing": ("Ugyldig dato.", "Not a valid date."),
    "err.date_parsing": ("Ugyldig dato.", "Not a valid date."),
    "err.datetime_from_date_parsing": ("Ugyldigt tidspunkt.", "Not a valid date and time."),
    "err.datetime_parsing": ("Ugyldigt tidspunkt.", "Not a valid date and time."),
    "err.uuid_parsing": ("Ugyldigt id.", "Not a valid id."),
    "err.enum": ("Vælg en af mulighederne.", "Choose one of the options."),
    "err.too_short": ("Vælg mindst én.", "Choose at least one."),
    "err.extra_forbidden": ("Ukendt felt.", "Unknown field."),
}
CATALOGUE.update(ERRORS)
CATALOGUE.update(CANDIDATE_TEXTS)
