"""Browser-facing pages. Until the web UI lands: a plain status page (no CDN, works offline)."""
