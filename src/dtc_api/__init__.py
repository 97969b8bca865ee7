"""dtc-api: a self-hostable storefront GraphQL API for customer accounts."""

__version__ = "0.1.0"
