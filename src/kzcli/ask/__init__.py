"""The questions: lookups against the index and the summaries built from them (brief, gaps, by-source)."""
