"""The queries Postfix and Dovecot run against sema's store (docs/adr/0040).

Plain selects over the ``mail`` read model (:mod:`projections.mail`) and, for
Dovecot's password check, ``sema_credentials`` — where sema keeps the Argon2id
hashes, read in place, never copied. The same SQL serves SQLite and
PostgreSQL but for the few functions the two spell differently.

Placeholders are the servers' own: Postfix's ``%s`` (the address looked up),
Dovecot's ``%u`` (the user), ``%{login_user}`` (in a master log-in, the
mailbox being opened) and ``%{master_user}`` (the person opening it). Both
servers quote what they substitute for their SQL drivers.
"""

from __future__ import annotations

from dataclasses import dataclass

# What Dovecot's ACL groups are called: a group mailbox opened with read or write, or a mailbox under exceptional access.
ACL_GROUP_PREFIX = "sema-"
# Unix owner of the Maildirs (Debian's ``mail`` user).
MAIL_UID = 8


@dataclass(frozen=True)
class Dialect:
    hash_text: str  # the stored hash (bytes) as text
    now: str
    aggregate: str  # comma-joined strings


SQLITE = Dialect(hash_text="CAST(c.secret AS TEXT)", now="strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')", aggregate="group_concat({}, ',')")
POSTGRESQL = Dialect(hash_text="convert_from(c.secret, 'UTF8')", now="now()", aggregate="string_agg({}, ',')")


def dialect(name: str) -> Dialect:
    if name == "sqlite":
        return SQLITE
    if name == "postgresql":
        return POSTGRESQL
    raise ValueError(f"no mail look-ups for a {name} store")


def _user_is(alias: str, placeholder: str) -> str:
    """A user known by address or username, as typed."""
    return f"({alias}.address = lower('{placeholder}') OR {alias}.username = lower('{placeholder}'))"


# ------------------------------------------------------------------- Postfix

def postfix_queries() -> dict[str, str]:
    """One query per map, keyed by the map's file name (without ``.cf``)."""
    return {
        # The domains sema has addresses in (virtual_mailbox_domains).
        "domains": "SELECT domain FROM sema_mail_addresses WHERE domain = lower('%s') LIMIT 1",
        # Refused at RCPT TO, before anything else (check_recipient_access): a suspended
        # organisation's addresses with its message, deleted and suspended users.
        "recipient_access": (
            "SELECT CASE WHEN o.suspended THEN 'REJECT ' || o.suspension_message"
            " WHEN u.deleted THEN '550 5.1.1 User unknown'"
            " ELSE '550 5.2.1 Mailbox disabled' END"
            " FROM sema_mail_addresses a JOIN sema_mail_users u ON u.id = a.target_id"
            " JOIN sema_mail_organisations o ON o.id = u.organisation_id"
            " WHERE a.address = lower('%s') AND a.target_kind = 'user' AND (o.suspended OR NOT u.receives)"
            " UNION ALL SELECT 'REJECT ' || o.suspension_message"
            " FROM sema_mail_addresses a JOIN sema_mail_lists l ON l.id = a.target_id"
            " JOIN sema_mail_organisations o ON o.id = l.organisation_id"
            " WHERE a.address = lower('%s') AND a.target_kind = 'distribution_list' AND o.suspended"
            " UNION ALL SELECT 'REJECT ' || o.suspension_message"
            " FROM sema_mail_addresses a JOIN sema_mail_group_mailboxes g ON g.id = a.target_id"
            " JOIN sema_mail_organisations o ON o.id = g.organisation_id"
            " WHERE a.address = lower('%s') AND a.target_kind = 'group_mailbox' AND o.suspended"
        ),
        # Every address of a user to where the user's mail goes: the primary address,
        # or an smtp/gsc user's original address; a list to its receiving members (virtual_alias_maps).
        "aliases": (
            "SELECT COALESCE(u.relay_to, u.address) FROM sema_mail_addresses a JOIN sema_mail_users u ON u.id = a.target_id"
            " WHERE a.address = lower('%s') AND a.target_kind = 'user'"
            " UNION ALL SELECT u.address FROM sema_mail_addresses a JOIN sema_mail_list_members m ON m.list_id = a.target_id"
            " JOIN sema_mail_users u ON u.id = m.user_id JOIN sema_mail_organisations o ON o.id = u.organisation_id"
            " WHERE a.address = lower('%s') AND a.target_kind = 'distribution_list' AND u.receives AND NOT o.suspended"
        ),
        # Addresses with a mailbox that receives (virtual_mailbox_maps); the answer names its folder.
        "mailboxes": (
            "SELECT u.mailbox_id FROM sema_mail_users u WHERE u.address = lower('%s') AND u.mailbox_id IS NOT NULL AND u.receives"
            " UNION ALL SELECT g.id FROM sema_mail_group_mailboxes g WHERE g.address = lower('%s')"
        ),
        # Who may send as an address (smtpd_sender_login_maps): its user, and for a
        # group mailbox the users holding its "mail" permission (as Dovecot names them).
        "senders": (
            "SELECT u.address FROM sema_mail_addresses a JOIN sema_mail_users u ON u.id = a.target_id"
            " WHERE a.address = lower('%s') AND a.target_kind = 'user'"
            " UNION ALL SELECT u.address FROM sema_mail_group_mailboxes g"
            " JOIN sema_mail_permissions p ON p.mailbox_id = g.id AND p.permission = 'mail'"
            " JOIN sema_mail_users u ON u.id = p.user_id WHERE g.address = lower('%s') AND u.logs_in"
        ),
    }


# ------------------------------------------------------------------- Dovecot

def dovecot_queries(store: str, mail_root: str) -> dict[str, str]:
    """``password`` (people logging in), ``master`` (opening a group mailbox or, under
    exceptional access, someone's mailbox: ``mailbox*person``) and ``user`` (where a
    mailbox lives, and the ACL groups of the person opening it)."""
    d = dialect(store)
    password = f"'{{ARGON2ID}}' || {d.hash_text}"
    # A person with a password: the answer says whether they may log in, and why not.
    person = (
        " FROM sema_mail_users u JOIN sema_mail_organisations o ON o.id = u.organisation_id"
        " JOIN sema_credentials c ON c.subject_id = u.id AND c.kind = 'password'"
    )
    nologin = "CASE WHEN u.logs_in AND NOT o.suspended THEN NULL ELSE 'y' END AS nologin"
    reason = (
        "CASE WHEN o.suspended THEN 'Your organisation''s mail service is suspended.'"
        " WHEN u.deleted THEN 'This account has been deleted.'"
        " WHEN u.suspended THEN 'This account is suspended.'"
        " WHEN u.locked THEN 'This account is locked; ask your administrator.'"
        " WHEN NOT u.logs_in THEN 'Log in to sema first to choose your password.' END AS reason"
    )
    opened_by = (
        "EXISTS (SELECT 1 FROM sema_mail_group_mailboxes g JOIN sema_mail_permissions p ON p.mailbox_id = g.id"
        " JOIN sema_mail_organisations go ON go.id = g.organisation_id"
        " WHERE g.address = lower('%{login_user}') AND p.user_id = u.id AND p.permission IN ('read', 'write') AND NOT go.suspended)"
        " OR EXISTS (SELECT 1 FROM sema_mail_users t JOIN sema_mail_grants gr ON gr.owner_id = t.id"
        f" WHERE {_user_is('t', '%{login_user}')} AND gr.grantee_id = u.id AND gr.in_force AND gr.expires_at > {d.now})"
    )
    group_acl = d.aggregate.format(f"'{ACL_GROUP_PREFIX}' || p.permission")
    home = f"'{mail_root}/' || "
    return {
        "password": f"SELECT u.address AS user, {password} AS password, {nologin}, {reason}{person} WHERE {_user_is('u', '%u')} AND u.mailbox_id IS NOT NULL",
        "master": f"SELECT {password} AS password{person} WHERE {_user_is('u', '%u')} AND u.logs_in AND NOT o.suspended AND ({opened_by})",
        "user": (
            f"SELECT {home}u.mailbox_id AS home, {MAIL_UID} AS uid, {MAIL_UID} AS gid,"
            f" CASE WHEN '%{{master_user}}' = '' THEN NULL ELSE '{ACL_GROUP_PREFIX}read' END AS acl_groups"
            f" FROM sema_mail_users u WHERE {_user_is('u', '%u')} AND u.mailbox_id IS NOT NULL"
            f" UNION ALL SELECT {home}g.id AS home, {MAIL_UID} AS uid, {MAIL_UID} AS gid,"
            f" (SELECT {group_acl} FROM sema_mail_permissions p JOIN sema_mail_users m ON m.id = p.user_id"
            f" WHERE p.mailbox_id = g.id AND p.permission IN ('read', 'write') AND {_user_is('m', '%{master_user}')}) AS acl_groups"
            " FROM sema_mail_group_mailboxes g WHERE g.address = lower('%u')"
        ),
    }


# What each ACL group may do (Dovecot's rights letters); the owner of a mailbox may do everything.
ACL_RIGHTS = {"owner": "lrwstipekxa", f"group={ACL_GROUP_PREFIX}read": "lr", f"group={ACL_GROUP_PREFIX}write": "lrwstipekx"}
