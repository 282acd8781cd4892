"""District roadmaps: the CSV import, the queries (filters, overdue, progress), status changes and their links."""
