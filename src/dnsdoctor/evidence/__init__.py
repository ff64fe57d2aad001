"""Evidence sources: one module or subpackage per kind of input."""
