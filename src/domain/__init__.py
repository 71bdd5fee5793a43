"""The write-side domain model of sema: pure aggregates, events and rules.

Nothing in this package reads the clock, generates ids or secrets, or does I/O;
time, ids and generated values are arguments of the commands.
"""
