"""Library entry points for the non-capture commands: each gathers a bundle and runs its rules."""
