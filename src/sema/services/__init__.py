"""The service layer, one module per area of the product.

``runner`` owns a command's transaction and the lost-race retry (the
``@command`` decorator); ``aggregates`` loads aggregates (and checks who
administers them); ``claims`` keeps addresses, usernames and organisation
codes unique. The areas: ``organisations``, ``users`` (adding them, statuses,
details, names and addresses), ``activation`` (log-in and own credentials),
``challenges``, ``exceptional_access``, ``mailboxes``, ``distribution_lists``,
``address_book``. ``sema.application.SemaApplication`` is the facade.
"""
