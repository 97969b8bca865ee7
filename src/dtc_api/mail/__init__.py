"""E-mail: templates per language, a transactional outbox, and SMTP / file delivery."""
