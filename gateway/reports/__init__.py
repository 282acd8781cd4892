"""Reports drawn from the records: charts of the pulse and the roadmaps, and the weekly bulletin."""
