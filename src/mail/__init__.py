"""Connecting the mail system: Postfix and Dovecot look up sema's store (docs/adr/0040)."""
