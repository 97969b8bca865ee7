"""Newsletter and back-in-stock subscriptions, and the mail they lead to."""
