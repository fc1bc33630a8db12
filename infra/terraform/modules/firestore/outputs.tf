output "database" {
  description = "Database name, (default) (the client library's default)."
  value       = google_firestore_database.this.name
}
