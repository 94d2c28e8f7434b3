"""Reports: parameterized notebooks rendered to self-contained HTML, and tables for Excel."""
