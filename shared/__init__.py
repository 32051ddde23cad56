"""Cross-cutting code every MAGNET service uses: settings, database, errors, auth, HTTP."""
