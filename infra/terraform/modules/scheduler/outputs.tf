output "job" {
  description = "Scheduler job id."
  value       = google_cloud_scheduler_job.outbox_tick.id
}
