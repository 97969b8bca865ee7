"""The back-office (integration) API: its own SDL and resolvers on the storefront's services."""
