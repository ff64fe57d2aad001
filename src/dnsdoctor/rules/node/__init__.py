"""Node audit rules (DD3xx): resolv.conf as each libc reads it, provenance, libc, clock, kernel."""
