"""A realistic demo store (``sema demo``) — four organisations (smtp, gsc and two
mailbox ones), 1,000 users with a mix of statuses, distribution lists, group
mailboxes and an exceptional-access request — and the demo administrators'
one-time passwords."""

from __future__ import annotations

import random
from datetime import timedelta
from uuid import UUID

from domain.actors import Actor, Role, system_actor
from domain.errors import InvalidCredentials
from sema.application import NewUser, SemaApplication
from sema.clock import Clock

FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Zoë", "Seán", "Priya", "Mohammed", "Chloé", "Jack", "Aoife",
         "Leo", "Grace", "Arjun", "Freya", "Oscar", "Niamh", "Yusuf", "Ellie", "Tomasz", "Ruby", "Kwame", "Sophie", "Dylan", "Layla", "Rhys"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "O'Brien", "Khan", "Evans", "Thomas", "Roberts",
        "Walker", "Wright", "Nowak", "Hughes", "Edwards", "Green", "Hall", "Wood", "Clarke", "Mensah", "Lewis", "Harris", "Jackson", "Kaur", "Murphy", "Ward"]
DEPARTMENTS = ["Criminal Justice Unit", "Custody", "Witness Care", "Case Progression", "Legal Services", "Listings", "Probation Liaison"]
TITLES = ["Case Worker", "Caseworker Manager", "Paralegal", "Solicitor", "Detective Constable", "Listing Officer", "Administrator"]

# code, name, account type, domains, users
ORGANISATIONS = [
    ("westmids-police", "West Midlands Police", "smtp", ["westmidlands.police.uk"], 300),
    ("cps-west", "Crown Prosecution Service West", "gsc", ["cps.gsi.gov.uk"], 250),
    ("northshire-yos", "Northshire Youth Offending Service", "mailbox", [], 250),
    ("riverside-law", "Riverside Defence Solicitors", "mailbox", [], 200),
]


def _rows(rng: random.Random, count: int, domains: list[str]) -> list[NewUser]:
    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        original = f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@{domains[0]}".encode("ascii", "ignore").decode() if domains else None
        directory = {"department": rng.choice(DEPARTMENTS), "job_title": rng.choice(TITLES), "telephone": f"0121 496 {rng.randrange(10000):04d}"}
        rows.append(NewUser(first, last, original_address=original, directory=directory, ex_directory=rng.random() < 0.05))
    return rows


def load(app: SemaApplication, clock: Clock, seed: int = 7) -> list[tuple[str, str, str]]:
    """Loads the demo; returns (organisation, username, one-time password) of each demo administrator."""
    rng = random.Random(seed)
    service = system_actor("demo")
    now = clock.now()
    # The organisations and their users date from ten days ago; the administrators
    # were appointed an hour ago (their one-time passwords are fresh) and acted since.
    start, appointed = now - timedelta(days=10), now - timedelta(hours=1)
    administrators: list[tuple[str, str, str]] = []
    users_by_org: dict[UUID, list[UUID]] = {}
    mailboxes_by_org: dict[UUID, list[UUID]] = {}
    admin_of: dict[UUID, Actor] = {}
    for code, name, account_type, domains, count in ORGANISATIONS:
        organisation_id = app.register_organisation(service, start, name=name, code=code, account_type=account_type, domains=domains)
        created = app.add_users(service, start, organisation_id, _rows(rng, count - 1, domains))
        (admin,) = app.add_users(service, appointed, organisation_id, _rows(rng, 1, domains))
        created.insert(0, admin)
        app.appoint_administrator(service, appointed, organisation_id, admin.user_id)
        administrators.append((name, admin.username, admin.one_time_password or ""))
        admin_of[organisation_id] = Actor(str(admin.user_id), Role.ORGANISATION_ADMINISTRATOR, organisation_id, request_id="demo")
        users_by_org[organisation_id] = [c.user_id for c in created[1:]]
        mailboxes_by_org[organisation_id] = [c.mailbox_id for c in created[1:] if c.mailbox_id]
        # A few who have activated, so the directory shows active users beside pending ones.
        for c in created[1:6]:
            result = app.log_in(c.username, c.one_time_password or "", start + timedelta(days=1))
            app.complete_first_log_in(result.actor(), start + timedelta(days=1), f"Demo password {c.user_id.hex[:8]}", {"mothers_maiden_name": "Demoson", "first_school": "Demo Primary", "place_of_birth": "Demoville"})
        # Two locked out by repeated wrong passwords.
        for c in created[6:8]:
            for attempt in range(app.settings.max_failed_log_ins):
                try:  # an hour apart: log-in throttling makes quicker guesses wait
                    app.log_in(c.username, "not the password", start + timedelta(days=2, hours=attempt))
                except InvalidCredentials:
                    pass

    for organisation_id, user_ids in users_by_org.items():
        admin = admin_of[organisation_id]
        app.change_statuses(admin, now, user_ids[10:25], "suspend")
        app.change_statuses(admin, now, user_ids[25:35], "delete")
        app.change_statuses(admin, now, user_ids[35:40], "mark_ex_directory")
        app.change_details(admin, now, user_ids[40:60], {"office_address": "1 Lloyd House, Colmore Circus, Birmingham B4 6NQ"})

    # Partners from every organisation: listed users only (another organisation's ex-directory users cannot be added, ADR 64).
    everyone = [u for ids in users_by_org.values() for u in ids[40:] if not app.get_user(u).ex_directory]
    for organisation_id, user_ids in users_by_org.items():
        admin = admin_of[organisation_id]
        code = app.get_organisation(organisation_id).code
        app.create_distribution_list(admin, now, organisation_id, f"{code} duty team", "duty-team", rng.sample(user_ids[40:], 12))
        app.create_distribution_list(admin, now, organisation_id, f"{code} partners", "partners", rng.sample(everyone, 20))
        if mailboxes_by_org[organisation_id]:
            mailbox_id, _ = app.create_group_mailbox(admin, now, organisation_id, "Enquiries", "enquiries")
            for user_id in user_ids[40:44]:
                app.grant_mailbox_permission(admin, now, mailbox_id, user_id, "read")
            app.grant_mailbox_permission(admin, now, mailbox_id, user_ids[40], "mail")
            for mailbox in mailboxes_by_org[organisation_id][60:120]:
                app.record_mailbox_use(service, start + timedelta(days=3, minutes=rng.randrange(60 * 24 * 6)), mailbox)
            app.request_exceptional_access(admin, now, "mailbox_access", mailboxes_by_org[organisation_id][50], "Long-term sickness: urgent case correspondence needs reading")
    return administrators
