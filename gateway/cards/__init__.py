"""The printable card facilitators hand leaders: how to reach the gateway and the words it understands, one A6 page
per language, every text from the catalogues (`card.*`) so the card never says what the gateway would not get."""
