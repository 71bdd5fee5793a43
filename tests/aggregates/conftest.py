"""Aggregate specifications run without any store: no fixtures of the shared conftest are used here."""
