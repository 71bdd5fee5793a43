"""The service layer and composition root of sema: configuration, the
application service (commands), the credential store and the command line."""
