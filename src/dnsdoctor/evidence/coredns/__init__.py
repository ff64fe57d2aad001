"""Evidence from CoreDNS: its Corefile, its logs, its metrics."""
