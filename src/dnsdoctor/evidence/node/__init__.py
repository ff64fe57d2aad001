"""Evidence from a host, a container root or an image: resolver config and where it came from,
which libc resolves, the clock, the kernel's drop counters."""
