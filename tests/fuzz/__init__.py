"""Property-based fuzzing of both GraphQL endpoints with operations generated from their schemas."""
