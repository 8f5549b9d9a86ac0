"""Data shipped with the app: icons, and later preset sessions. No code lives here."""
