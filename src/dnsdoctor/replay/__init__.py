"""What did the application see? Replay a capture's lookups through resolver-library models.

`settings` reads the client's resolv.conf the way each library does, `steps` turns a Lookup into
the packet sequence one `getaddrinfo` call saw, `musl_1_2_3` and `glibc_2_36` are the models (each
cites the source it follows), and `driver` decides which lookups need a replay and caches the
results for the DD2xx rules and the JSON report. Nothing here imports the lab.
"""

from dnsdoctor.replay.outcome import AppResult, Discard

__all__ = ["AppResult", "Discard"]
