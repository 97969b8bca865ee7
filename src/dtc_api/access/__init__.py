"""Who is calling: API clients, shopper sessions and their tokens, integration keys, signed
links."""
