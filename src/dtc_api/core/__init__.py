"""Rules shared by every domain, written once: errors, rate limits, money, dates."""
