"""The service-return pulse: weekly coded questions to leaders about the state services of their commune."""
