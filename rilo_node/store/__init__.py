"""SQLite: schema and migrations, the one writer, readers, projections, and the SQL of searches and statistics."""
