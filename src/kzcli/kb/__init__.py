"""What is written: the schema, safe YAML loading, a KB's files and layers, validation, the codebook."""
