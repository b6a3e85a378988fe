"""The original brief's design (inline Map, one Lambda call per record), rebuilt for comparison only."""
