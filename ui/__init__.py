"""User interfaces: the Chainlit chat, the keel CLI and scheduler wiring."""
