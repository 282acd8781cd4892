"""The directory: contacts and their import/export, phone numbers, Telegram identity, discreet mode."""
