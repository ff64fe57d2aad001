"""Packet captures: file readers, link layers, IP, tunnels, UDP and TCP down to DNS messages."""
