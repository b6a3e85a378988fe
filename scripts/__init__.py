"""Developer scripts: the seeded sales-file generator."""
