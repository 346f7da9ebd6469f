"""What every domain uses: settings, the store, the clock, keys and signed tokens, the
event bus, the error types, the operation log, and QR codes (tokens and images).

Nothing here imports a domain package or Flask.
"""
