"""The read side: SQLAlchemy read models kept from the events, and the
query functions the API calls. Queries never load aggregates."""
