"""Cross-border sharing between partner centres (issue 16): agreements, incidents, policy decisions,
the federation link and the hash-chained audit trail. Kept import-light: the store imports ``chain``."""
