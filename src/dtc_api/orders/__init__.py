"""Orders and subscription contracts, as recorded by the back-office and read by the customer."""
