"""The transaction engine: pairing, copies across interfaces, and lookups."""
