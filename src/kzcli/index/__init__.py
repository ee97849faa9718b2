"""What is compiled: the compiler (validated records to rows) and the SQLite store with its cache."""
