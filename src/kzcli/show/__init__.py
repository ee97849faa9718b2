"""The answers: views (tables as data), rendering, charts, citations and export."""
