"""CoreDNS rules (DD4xx): Corefile lint, log and metric evidence about upstreams."""
