"""Users, organisations, roles, password hashing and tokens (OAuth2 password flow, JWT + refresh)."""
