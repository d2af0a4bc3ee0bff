"""Out: the HTTP server (limits, deadlines, /metrics, health), the API and the operators'
portal — all reading the accounts' snapshot, never a source."""
