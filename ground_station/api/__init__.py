"""REST + WebSocket API: every route authenticated and role-checked except ``public_routes.PUBLIC_ROUTES``."""
