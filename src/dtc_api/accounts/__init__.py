"""Customer accounts: registration, login and logout, profile updates, passwords and reset links,
the customer as the storefront reads it, and the operator's actions on customers."""
