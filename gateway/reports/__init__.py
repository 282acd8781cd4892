"""Reports for staff: the pulse's charts and the weekly bulletin (data, HTML and PDF, and its weekly delivery)."""
