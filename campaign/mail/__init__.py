"""E-mail digests: compose the exact message bytes (MIME, headers, DKIM), sign and verify
unsubscribe tokens, and serve the one-click unsubscribe endpoint (RFC 8058)."""
