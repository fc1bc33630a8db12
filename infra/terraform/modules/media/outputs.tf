output "uploads_bucket" {
  description = "Private bucket the browser uploads to (UPLOADS_BUCKET)."
  value       = google_storage_bucket.uploads.name
}

output "media_bucket" {
  description = "Public bucket of the variants (MEDIA_BUCKET), behind the CDN under /m/."
  value       = google_storage_bucket.media.name
}
